"""Config mappings as the topology and the generated node configs combine them."""


def merge(base, extra):
    """Deep-merges mapping `extra` into `base` in place."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base
