"""Views of a deal shared by the app, the reports and the terminal: text, maps."""
