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
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2")
    ],
    targets: [
        // Int8 and f32 hot loops in C: per-function target attributes and run-time CPU dispatch.
        .target(name: "CTernKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
        .target(name: "TernTensors", dependencies: ["CTernKernels"], swiftSettings: strictSwift),
        .target(name: "TernGGUF", dependencies: ["TernTensors"], swiftSettings: strictSwift),
        .target(name: "TernTokenizer", dependencies: ["TernGGUF"], swiftSettings: strictSwift),
        .target(name: "TernOpenAI", swiftSettings: strictSwift),
        .target(name: "TernEngine", dependencies: ["TernTensors", "TernGGUF", "TernTokenizer"], swiftSettings: strictSwift),
        .executableTarget(
            name: "tern",
            dependencies: ["TernEngine", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "TernTensorsTests", dependencies: ["TernTensors"], swiftSettings: strictSwift),
        .testTarget(name: "TernGGUFTests", dependencies: ["TernGGUF"], swiftSettings: strictSwift),
        .testTarget(name: "TernTokenizerTests", dependencies: ["TernTokenizer"], swiftSettings: strictSwift),
        .testTarget(name: "TernOpenAITests", dependencies: ["TernOpenAI"], swiftSettings: strictSwift),
        .testTarget(name: "TernEngineTests", dependencies: ["TernEngine"], swiftSettings: strictSwift),
    ]
)
