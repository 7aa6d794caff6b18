from tabulate import tabulate


def main():
    print(tabulate([["cash", 10]]))
