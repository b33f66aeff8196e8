// swift-tools-version: 6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Tern",
    products: [
        .executable(name: "tern", targets: ["tern"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Int8 and f32 hot loops in C: per-function target attributes and run-time CPU dispatch.
        .target(name: "CTernKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
        .target(name: "TernTensors", dependencies: ["CTernKernels"], swiftSettings: strictSwift),
        .target(name: "TernGGUF", dependencies: ["TernTensors"], swiftSettings: strictSwift),
        .target(name: "TernTokenizer", dependencies: ["TernGGUF"], swiftSettings: strictSwift),
        .target(name: "TernJSON", swiftSettings: strictSwift),
        .target(name: "TernOpenAI", dependencies: ["TernJSON"], swiftSettings: strictSwift),
        // JSON Schema → grammar → per-step token masks; the scheduler applies them before the sampler.
        .target(name: "TernGrammar", dependencies: ["TernJSON", "TernTokenizer"], swiftSettings: strictSwift),
        .target(name: "TernEngine", dependencies: ["TernTensors", "TernGGUF", "TernTokenizer"], swiftSettings: strictSwift),
        .target(
            name: "TernScheduler", dependencies: ["TernEngine", "TernGrammar", "TernTensors", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSwift),
        // API keys, rate-limit and budget state, the usage ledger: SQLite (bundled, nothing from the system) by default,
        // PostgreSQL for replicas that share them.
        .target(
            name: "TernStore",
            dependencies: [
                .product(name: "SQLiteNIO", package: "sqlite-nio"), .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "TernAnthropic", dependencies: ["TernOpenAI", "TernJSON"], swiftSettings: strictSwift),
        .target(
            name: "TernServer",
            dependencies: [
                "TernScheduler", "TernOpenAI", "TernAnthropic", "TernEngine", "TernTokenizer", "TernStore", "TernGrammar", "TernJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // docs/openapi.json (through a link), compiled into the binary: nothing needs to sit beside it;
            // and the web UI's files, served from the binary.
            resources: [
                .embedInCode("openapi.json"), .embedInCode("WebUI/chat.html"), .embedInCode("WebUI/console.html"),
                .embedInCode("WebUI/tern.css"), .embedInCode("WebUI/common.js"), .embedInCode("WebUI/markdown.js"),
                .embedInCode("WebUI/chat.js"), .embedInCode("WebUI/console.js"), .embedInCode("WebUI/icon.svg"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "tern",
            dependencies: [
                "TernEngine", "TernGGUF", "TernServer", "TernOpenAI", "TernTokenizer", "TernStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "TernTensorsTests", dependencies: ["TernTensors"], swiftSettings: strictSwift),
        .testTarget(name: "TernGGUFTests", dependencies: ["TernGGUF", "TernTensors"], swiftSettings: strictSwift),
        .testTarget(name: "TernTokenizerTests", dependencies: ["TernTokenizer", "TernGGUF"], swiftSettings: strictSwift),
        .testTarget(name: "TernJSONTests", dependencies: ["TernJSON"], swiftSettings: strictSwift),
        .testTarget(name: "TernOpenAITests", dependencies: ["TernOpenAI", "TernJSON"], swiftSettings: strictSwift),
        .testTarget(name: "TernGrammarTests", dependencies: ["TernGrammar", "TernJSON", "TernTokenizer", "TernGGUF"], swiftSettings: strictSwift),
        .testTarget(name: "TernEngineTests", dependencies: ["TernEngine"], swiftSettings: strictSwift),
        .testTarget(
            name: "TernSchedulerTests", dependencies: ["TernScheduler", "TernGrammar", "TernJSON", "TernTensors", "TernEngine"],
            swiftSettings: strictSwift),
        .testTarget(
            name: "TernStoreTests",
            dependencies: [
                "TernStore", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift),
        .testTarget(
            name: "TernServerTests",
            dependencies: [
                "TernServer", "TernEngine", "TernOpenAI", "TernStore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
    ]
)
