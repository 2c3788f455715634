// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "verbinder",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "verbinderd", targets: ["verbinderd"]),
        .executable(name: "verbinder", targets: ["verbinder"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // libpq, the PostgreSQL C client library, as a system library.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // A small, blocking, Swift-typed wrapper over libpq plus a bounded pool that runs it off the event loops.
        .target(
            name: "PQ",
            dependencies: [
                "CLibPQ",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Pure: texts for people and their Dutch translations.
        .target(name: "VerbinderText"),
        // Pure: the line protocol (tokenizer, records, errors). No IO.
        .target(name: "VerbinderProtocol", dependencies: ["VerbinderText"]),
        // Pure: the domain model and graph algorithms. No IO.
        .target(name: "VerbinderGraph", dependencies: ["VerbinderText"]),
        // SQL: migrations, seed, queries. PostgreSQL is the source of truth.
        .target(
            name: "VerbinderStore",
            dependencies: [
                "PQ", "VerbinderGraph", "VerbinderProtocol",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Starts and stops a private PostgreSQL cluster (embedded default and tests).
        .target(name: "VerbinderCluster"),
        // The use cases, one service per area, and the write path (lock, SQL with its audit row,
        // apply in memory, announce). No sockets, no event loops.
        .target(
            name: "VerbinderCore",
            dependencies: [
                "VerbinderGraph", "VerbinderStore", "VerbinderProtocol", "VerbinderText", "PQ",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The TCP server, transport only: admission, framing, per-connection state, and the
        // commands that turn requests into use-case calls and results into records.
        .target(
            name: "VerbinderServer",
            dependencies: [
                "VerbinderProtocol", "VerbinderGraph", "VerbinderStore", "VerbinderCore", "VerbinderText",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Pure: the dashboard's pages as HTML, with SVG charts rendered on the server. No IO.
        .target(name: "VerbinderWeb"),
        // The HTTP side, read-only: calendar feeds, health and Prometheus metrics, the dashboard.
        // HTTP/1.1 is parsed by swift-nio's NIOHTTP1; pages are rendered by the pure WebPages.
        .target(
            name: "VerbinderHTTP",
            dependencies: [
                "VerbinderServer", "VerbinderCore", "VerbinderStore", "VerbinderGraph", "VerbinderProtocol", "VerbinderText", "VerbinderWeb",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "verbinderd",
            dependencies: [
                "VerbinderServer", "VerbinderHTTP", "VerbinderCore", "VerbinderStore", "VerbinderCluster", "VerbinderText", "PQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The line-protocol client: TCP, Unix socket or TLS (swift-nio-ssl), pipelined requests,
        // responses read to their status line. Used by `verbinder` and by the integration tests.
        .target(
            name: "VerbinderClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "verbinder",
            dependencies: [
                "VerbinderProtocol", "VerbinderClient", "VerbinderText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer target for the tokenizer and parser (scripts/fuzz); a corpus replayer when built normally.
        .executableTarget(name: "verbinder-fuzz", dependencies: ["VerbinderProtocol"]),
        // The load generator of scripts/bench (poll, one thread per core, HdrHistogram latencies).
        .executableTarget(
            name: "verbinder-bench",
            dependencies: [
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "VerbinderProtocolTests", dependencies: ["VerbinderProtocol"]),
        .testTarget(name: "VerbinderGraphTests", dependencies: ["VerbinderGraph", "VerbinderText"]),
        .testTarget(name: "VerbinderTextTests", dependencies: ["VerbinderText"]),
        .testTarget(name: "VerbinderWebTests", dependencies: ["VerbinderWeb"]),
        .testTarget(name: "VerbinderHTTPTests", dependencies: ["VerbinderHTTP", "VerbinderCore", "VerbinderGraph",
                                                               .product(name: "NIOHTTP1", package: "swift-nio")]),
        // The client's parts that need no daemon: mail composition (RFC 5322), the sending subprocess.
        .testTarget(name: "VerbinderClientTests", dependencies: ["verbinder"]),
        .testTarget(
            name: "VerbinderServerTests",
            dependencies: ["VerbinderServer", "VerbinderCore", "VerbinderGraph", "VerbinderStore", "VerbinderProtocol", "VerbinderText", "PQ",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        // The use cases against a throwaway PostgreSQL, without any socket.
        .testTarget(
            name: "VerbinderCoreTests",
            dependencies: ["VerbinderCore", "VerbinderCluster", "VerbinderStore", "VerbinderGraph", "VerbinderProtocol", "PQ",
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "VerbinderIntegrationTests",
            dependencies: ["VerbinderCluster", "PQ", "VerbinderStore", "VerbinderProtocol", "VerbinderClient", "verbinderd", "verbinder",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio")]
        ),
    ]
)
