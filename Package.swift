// swift-tools-version:6.0
import PackageDescription

/// Kernel targets: unchecked arithmetic in release, and sqrt without errno so square-root loops vectorise.
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    .unsafeFlags(["-Xcc", "-fno-math-errno"]),
]

let package = Package(
    name: "CrossModal",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Optim", targets: ["Optim"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "CrossModal", targets: ["CrossModal"]),
        .library(name: "Tasks", targets: ["Tasks"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Encoders", targets: ["Encoders"]),
        .library(name: "OwnData", targets: ["OwnData"]),
        .library(name: "Benchmarks", targets: ["Benchmarks"]),
        .executable(name: "crossmodal", targets: ["CLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", path: "Sources/CTurboJPEG",
            providers: [.apt(["libturbojpeg0-dev"])]),
        .target(name: "Imaging", dependencies: ["Tensors", "CPNG", "CTurboJPEG"]),
        .target(
            name: "Tensors",
            dependencies: [.target(name: "CBLAS", condition: .when(platforms: [.linux]))],
            swiftSettings: kernelSettings),
        .target(name: "NN", dependencies: ["Tensors"]),
        .target(name: "Optim", dependencies: ["Tensors", "NN"], swiftSettings: kernelSettings),
        .target(name: "Training", dependencies: ["Tensors", "NN", "Optim", "Yams"]),
        .target(name: "CrossModal", dependencies: ["Tensors", "NN", "Optim"]),
        .target(name: "TorchFiles", dependencies: ["Tensors", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "Encoders", dependencies: ["Tensors", "NN", "TorchFiles", "Imaging"]),
        .target(name: "OwnData", dependencies: ["Tensors", "NN", "CrossModal", "Encoders", "Imaging", "Training"]),
        .target(name: "Tasks", dependencies: ["Tensors", "NN", "CrossModal", "Encoders", "Imaging", "Training", "OwnData"]),
        .target(name: "Benchmarks", dependencies: ["Tensors", "NN", "Optim", "CrossModal"]),
        .executableTarget(
            name: "CLI",
            dependencies: ["Tensors", "NN", "Optim", "Training", "CrossModal", "OwnData", "Tasks", "Imaging", "Encoders", "Benchmarks", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // A child process that the kill -9 tests (TrainingTests) start and kill; not a user tool.
        .executableTarget(name: "ReliabilityProbe", dependencies: ["Training", "NN", "Tensors"]),
        .target(name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "OptimTests", dependencies: ["Optim", "NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Optim", "NN", "Tensors", "TestSupport"]),
        .testTarget(name: "CrossModalTests", dependencies: ["CrossModal", "Optim", "NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "OwnData", "CrossModal", "Encoders", "Training", "Optim", "NN", "Tensors", "TestSupport", "Imaging"]),
        .testTarget(name: "OwnDataTests", dependencies: ["OwnData", "Encoders", "Imaging", "Training", "NN", "Tensors", "TestSupport"]),
        .testTarget(name: "EncodersTests", dependencies: ["Encoders", "NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks"]),
        .testTarget(name: "TorchFilesTests", dependencies: ["TorchFiles", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
