"""JupyterHub's configuration file for ``coachkit hub`` (which sets $COACHKIT_HUB_SETTINGS);
everything is in :mod:`coachkit.hub.config`."""

from coachkit.hub.config import configure_from_environment

configure_from_environment(get_config())  # type: ignore[name-defined]  # noqa: F821
