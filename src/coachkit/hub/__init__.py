"""The team server: JupyterHub in front of the workbook app, with a reports service.

- :mod:`~coachkit.hub.teams`: TEAMS.toml, the teams and their sellers and managers;
- :mod:`~coachkit.hub.config`: the JupyterHub configuration (groups, sign-in, user servers,
  services, roles), for ``coachkit hub`` and for an existing hub;
- :mod:`~coachkit.hub.process`: running the hub so that nothing outlives it;
- :mod:`~coachkit.hub.reports`: the ``coachkit-reports`` hub service.

Who may read what is decided in :mod:`coachkit.access`.
"""
