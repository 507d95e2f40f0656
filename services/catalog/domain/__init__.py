"""The catalog's rules, with no nameko: restaurants and dishes, and rank totals."""
