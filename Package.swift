// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "circ",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "circ", targets: ["circ"]),
        .library(name: "CircKit", targets: ["CircKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // Exclusivity checks cost the tree-walking interpreter about 15% on calls; its
        // frames and globals are only touched from the one interpreter thread.
        .target(name: "CircLang", swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        .target(name: "PCFG"),
        .target(name: "CircKit", dependencies: ["CircLang", "PCFG"]),
        .executableTarget(
            name: "circ",
            dependencies: [
                "CircKit", "CircLang", "CEditLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "circ-bench",
            dependencies: [
                "CircKit", "CircLang", "PCFG",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "benchmarks/circ-bench"
        ),
        .testTarget(name: "CircLangTests", dependencies: ["CircLang"]),
        .testTarget(name: "PCFGTests", dependencies: ["PCFG"]),
        .testTarget(name: "CircKitTests", dependencies: ["CircKit", "CircLang", "PCFG"]),
    ]
)
