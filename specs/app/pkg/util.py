def banner(text: str) -> str:
    return f"*** {text} ***"
