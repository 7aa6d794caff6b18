print("this script is never imported")
