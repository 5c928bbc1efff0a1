"""The operations page: is the worker keeping up? (issue 18).

Teams are tenants and workers are site-wide: a team's owners and admins see their own team's
queue; only staff see the workers and the site-wide queues.
"""
