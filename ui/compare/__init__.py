"""The compare page's parts: its views, classic against fast, the before/after slider, and
the link that holds a view."""
