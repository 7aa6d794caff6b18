def hello():
    return "demo"
