"""The dashboard of ``make app``: Voila with the project's template and routes
(``python -m helpers.voila``, started by :func:`helpers.kernels.app_command`)."""
