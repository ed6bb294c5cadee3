"""The one layer of actions the command line, the worker and the app all call."""
