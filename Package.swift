// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

// Packaging/deb/build stamps the version, commit and TLS library version through the environment into
// one C file (Sources/CBuildStamp), so stamping recompiles only that file and plain builds never change.
let buildStamp: [CSetting] = ["SMARTREADER_VERSION", "SMARTREADER_COMMIT", "SMARTREADER_NIO_SSL_VERSION"].compactMap { name in
    Context.environment[name].map { .define(name, to: "\"\($0)\"") }
}

let package = Package(
    name: "SmartReader",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "smartreader", targets: ["smartreader"]),
        .library(name: "MQTT", targets: ["MQTT"]),
        .library(name: "SpringCore", targets: ["SpringCore"]),
        .library(name: "Gateway", targets: ["Gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .target(
            name: "MQTT",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "HostSystem", swiftSettings: strict),
        .target(
            name: "SpringCore",
            dependencies: ["HostSystem"],
            swiftSettings: strict
        ),
        .systemLibrary(name: "CUdev", pkgConfig: "libudev", providers: [.apt(["libudev-dev"])]),
        .target(
            name: "TagReaders",
            dependencies: ["SpringCore", "HostSystem", "CUdev", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "DeviceIdentity",
            dependencies: [
                "HostSystem",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Spool",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "CBuildStamp", cSettings: buildStamp),
        .target(
            name: "Gateway",
            dependencies: [
                "MQTT", "SpringCore", "TagReaders", "DeviceIdentity", "Spool", "HostSystem", "CBuildStamp",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The tools for developing against the device, not the device: demo, bench, the fleet simulator and
        // its reports, a local mosquitto. The tool and the tests use them; the daemon's code never does.
        .target(
            name: "DevelopmentTools",
            dependencies: [
                "Gateway", "MQTT", "SpringCore", "TagReaders", "DeviceIdentity", "Spool", "HostSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "smartreader",
            dependencies: [
                "Gateway", "DevelopmentTools", "DeviceIdentity", "SpringCore", "TagReaders", "MQTT", "Spool", "HostSystem",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MQTTTests",
            dependencies: [
                "MQTT", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "SpringCoreTests", dependencies: ["SpringCore", "HostSystem"]),
        .testTarget(name: "HostSystemTests", dependencies: ["HostSystem", "TestSupport"]),
        .testTarget(
            name: "TagReadersTests",
            dependencies: ["TagReaders", "SpringCore", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "TestSupport", dependencies: ["TagReaders", "HostSystem", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(
            name: "DeviceIdentityTests",
            dependencies: ["DeviceIdentity", "HostSystem", "TestSupport", .product(name: "X509", package: "swift-certificates")]),
        .testTarget(name: "SpoolTests", dependencies: ["Spool", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "MQTT", "HostSystem", "SpringCore", "TagReaders", "DeviceIdentity", "Spool", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                // The broker's end of the device's connections in the brokerless device tests.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        .testTarget(
            name: "DevelopmentToolsTests",
            dependencies: ["DevelopmentTools", "Gateway", "MQTT", "SpringCore", "DeviceIdentity", "TestSupport"]),
        // Depends on the executable so that `swift test` builds the binary the process-level tests run.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Gateway", "DevelopmentTools", "DeviceIdentity", "MQTT", "SpringCore", "TagReaders", "TestSupport", "Spool", "HostSystem",
                "smartreader",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
