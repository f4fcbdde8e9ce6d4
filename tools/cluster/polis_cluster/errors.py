"""The one exception the launcher raises for problems a user can act on."""


class ClusterError(Exception):
    pass
