// The verbinder client: see Verbinder.swift and docs/verbinder.1.
Verbinder.main()
