print("verbinder")
