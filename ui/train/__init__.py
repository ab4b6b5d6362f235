"""The Train page's parts: its choices (``form``) and its job (``job``)."""
