"""The notebooks sellers and trainers open, shipped as ``coachkit.workbooks``.

This folder is the package's own copy (pyproject maps it to ``coachkit.workbooks``): Binder
and JupyterLab open it from the repository, ``coachkit app`` finds it in the package.
"""
