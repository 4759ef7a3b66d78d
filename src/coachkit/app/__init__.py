"""The seller's workbook app (ipywidgets, served by Voila or opened in JupyterLab)."""

from coachkit.app.shell import App

__all__ = ["App"]
