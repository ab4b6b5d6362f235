"""Streamlit helpers shared by the pages: pickers, settings widgets, live job views.

Everything here turns widgets into arguments for ``core`` and ``core``'s results into
elements; no algorithm lives here. The pages themselves are in ``pages/``.
"""
