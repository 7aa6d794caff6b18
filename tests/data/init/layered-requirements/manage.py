import alpha

print("layered app:", alpha.VALUE)
