"""Built-in message catalogues, one module per language with a `MESSAGES` dict.

Every language must define exactly the same keys as ``en`` (a test enforces it).
"""
