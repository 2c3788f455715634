import VerbinderClient

/// The client library's connection, named apart from libpq's `Connection` that the other
/// test files use.
typealias LibraryConnection = VerbinderClient.Connection
/// Where the client library connects.
typealias LibraryAddress = VerbinderClient.Address
