import alpha

print("requirements app:", alpha.VALUE)
