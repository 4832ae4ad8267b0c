// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "CrossModal",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Optim", targets: ["Optim"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Encoders", targets: ["Encoders"]),
        .executable(name: "crossmodal", targets: ["CLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "Tensors",
            dependencies: [.target(name: "CBLAS", condition: .when(platforms: [.linux]))],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "NN", dependencies: ["Tensors"]),
        .target(name: "Optim", dependencies: ["Tensors", "NN"]),
        .target(name: "Training", dependencies: ["Tensors", "NN", "Optim", "Yams"]),
        .target(name: "Encoders", dependencies: ["Tensors", "NN"]),
        .executableTarget(
            name: "CLI",
            dependencies: ["Tensors", "NN", "Optim", "Training", "Encoders", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "OptimTests", dependencies: ["Optim", "NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Optim", "NN", "Tensors", "TestSupport"]),
        .testTarget(name: "EncodersTests", dependencies: ["Encoders", "NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
