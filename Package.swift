// swift-tools-version:6.1
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
        .library(name: "Distributed", targets: ["Distributed"]),
        .library(name: "CrossModal", targets: ["CrossModal"]),
        .library(name: "Tasks", targets: ["Tasks"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Encoders", targets: ["Encoders"]),
        .library(name: "OwnData", targets: ["OwnData"]),
        .library(name: "Benchmarks", targets: ["Benchmarks"]),
        .library(name: "Serving", targets: ["Serving"]),
        .executable(name: "crossmodal", targets: ["CLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        // Serving: HTTP (no swift-configuration support needed), graceful shutdown, Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // bench serve: latency percentiles.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]),
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
        .target(name: "Distributed", dependencies: ["CMPI", "Tensors"]),
        .target(name: "Training", dependencies: ["Tensors", "NN", "Optim", "Distributed", "Yams"]),
        .target(name: "CrossModal", dependencies: ["Tensors", "NN", "Optim"]),
        .target(name: "TorchFiles", dependencies: ["Tensors", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "Encoders", dependencies: ["Tensors", "NN", "TorchFiles", "Imaging"]),
        .target(name: "OwnData", dependencies: ["Tensors", "NN", "CrossModal", "Encoders", "Imaging", "Training", "Distributed"]),
        .target(name: "Tasks", dependencies: ["Tensors", "NN", "CrossModal", "Encoders", "Imaging", "Training", "OwnData"]),
        .target(name: "Benchmarks", dependencies: ["Tensors", "NN", "Optim", "CrossModal", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .target(
            name: "Serving",
            dependencies: ["OwnData", "Encoders", "Imaging", "Tensors",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "HTTPTypes", package: "swift-http-types")]),
        .executableTarget(
            name: "CLI",
            dependencies: ["Tensors", "NN", "Optim", "Training", "CrossModal", "OwnData", "Tasks", "Imaging", "Encoders", "Benchmarks", "Serving", "Distributed", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        // A child process that the kill -9 tests (TrainingTests) start and kill; not a user tool.
        .executableTarget(name: "ReliabilityProbe", dependencies: ["Training", "NN", "Tensors"]),
        // A child process that the mpirun tests (DistributedTests) start; not a user tool.
        .executableTarget(name: "DistributedProbe", dependencies: ["Distributed", "Tensors"]),
        .executableTarget(name: "SeedProbe", dependencies: ["Benchmarks", "Optim", "Tensors"]),
        .target(name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "OptimTests", dependencies: ["Optim", "NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Optim", "NN", "Tensors", "TestSupport"]),
        .testTarget(name: "CrossModalTests", dependencies: ["CrossModal", "Optim", "NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "OwnData", "CrossModal", "Encoders", "Training", "Optim", "NN", "Tensors", "TestSupport", "Imaging"]),
        .target(name: "OwnDataFixtures", dependencies: ["OwnData", "Imaging"], path: "Tests/OwnDataFixtures"),
        .testTarget(name: "OwnDataTests", dependencies: ["OwnData", "OwnDataFixtures", "CrossModal", "Encoders", "Imaging", "Training", "NN", "Tensors", "TestSupport"]),
        .testTarget(name: "EncodersTests", dependencies: ["Encoders", "NN", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Tensors", "Training", "OwnData", "OwnDataFixtures"]),
        .testTarget(
            name: "ServingTests",
            dependencies: ["Serving", "OwnData", "OwnDataFixtures", "Imaging", "Training", "TestSupport",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "HTTPTypes", package: "swift-http-types")]),
        .testTarget(name: "TorchFilesTests", dependencies: ["TorchFiles", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
