// swift-tools-version:6.0
import PackageDescription

// The engine's loops are compiled for AVX2 and FMA (x86-64-v3: Intel since 2013, AMD since 2015):
// eight floats per instruction instead of four. Without `fast-math`, LLVM neither reorders nor fuses
// float arithmetic, so results are the same as with the baseline instruction set.
#if arch(x86_64)
let vectorUnits: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
#else
let vectorUnits: [SwiftSetting] = []
#endif

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
        .target(name: "FileIO"),
        .target(name: "CircLang", dependencies: ["FileIO"], swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "Randomness"),
        .target(name: "CAllocator"),
        .target(name: "CFloatControl"),
        // The packed-weight kernels: each product one multiply-add chain per element, never contracted otherwise.
        .target(name: "CGemm", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        // The gated unit in AVX-512, operation for operation as the Swift loops compute it.
        .target(name: "CVectorOps", dependencies: ["CGemm"], cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        .target(name: "PCFG", dependencies: ["Randomness", "FileIO"]),
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CGemm", "CVectorOps", "Randomness", "CFloatControl"], swiftSettings: vectorUnits),
        .target(name: "Transformer", dependencies: ["Tensor", "Randomness", "CAllocator", "FileIO"], swiftSettings: vectorUnits),
        .target(name: "Pruning", dependencies: ["Transformer", "Tensor", "Randomness"], swiftSettings: vectorUnits),
        .target(name: "CircKit", dependencies: ["CircLang", "PCFG", "Transformer", "Pruning", "Tensor", "Randomness", "FileIO"]),
        .executableTarget(
            name: "circ",
            dependencies: [
                "CircKit", "CircLang", "CEditLine", "Tensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "circ-bench",
            dependencies: [
                "CircKit", "CircLang", "PCFG", "Pruning", "Transformer", "Tensor", "Randomness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "benchmarks/circ-bench"
        ),
        .testTarget(name: "CircLangTests", dependencies: ["CircLang", "FileIO"]),
        .testTarget(name: "PCFGTests", dependencies: ["PCFG", "Randomness"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "Randomness"]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "Tensor", "Randomness", "PCFG"]),
        .testTarget(name: "PruningTests", dependencies: ["Pruning", "Transformer", "Randomness", "PCFG"]),
        .testTarget(name: "CircKitTests", dependencies: ["CircKit", "CircLang", "PCFG", "Transformer", "Pruning", "Tensor", "Randomness"]),
    ]
)
