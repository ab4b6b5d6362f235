"""The classic page's parts: its settings panel and the live view of a job."""
