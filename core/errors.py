"""The one type for a person's mistake: a file that is not a usable picture, a damaged or
missing network, an impossible setting.

Whatever raises it has put what to fix in one line. The CLI prints that line and exits 2,
a job shows it as is; any other exception is a bug, logged with its traceback and shown as
an internal error. A ``ValueError`` subclass, so that ``except ValueError`` around a
setting keeps working.
"""


class UserError(ValueError):
    """A person's mistake, said in one line they can act on."""


class SettingsError(UserError):
    """A setting out of range or of the wrong kind (a config, a settings file, a flag, an
    environment variable)."""
