import Foundation
import Imaging

/// Fashion-MNIST (Xiao et al. 2017: 28×28 gray photos of Zalando articles, 10 classes, 60,000 train and
/// 10,000 test) from the IDX files Debian's `dataset-fashion-mnist` installs.
public struct FashionMNIST: Sendable {
    /// Where Debian installs the files.
    public static let debianDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    /// Class names as captions use them, by label.
    public static let classNames = ["t-shirt", "pair of trousers", "pullover", "dress", "coat", "sandal", "shirt",
                                    "sneaker", "bag", "ankle boot"]

    public enum Split: String, Sendable { case train, test }

    /// [count, 28, 28] bytes (white article on black).
    public let images: IDX
    /// Label per image, 0…9.
    public let labels: [Int]

    public init(images: IDX, labels: [Int]) {
        precondition(images.shape.count == 3 && images.shape[0] == labels.count,
                     "FashionMNIST: images \(images.shape) and \(labels.count) labels")
        (self.images, self.labels) = (images, labels)
    }

    /// Loads `split` (`train-*` or `t10k-*`, `.gz` or not) from `directory`.
    public static func load(_ split: Split, directory: URL = debianDirectory) throws -> FashionMNIST {
        let prefix = split == .train ? "train" : "t10k"
        func file(_ name: String) -> URL {
            let plain = directory.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: plain.path) ? plain : plain.appendingPathExtension("gz")
        }
        let imagesURL = file("\(prefix)-images-idx3-ubyte"), labelsURL = file("\(prefix)-labels-idx1-ubyte")
        let images = try IDX.read(imagesURL)
        let labels = try IDX.read(labelsURL).labels(path: labelsURL.path)
        guard images.shape.count == 3, images.shape[0] == labels.count else {
            throw IDXError.wrongShape(path: imagesURL.path, expected: "[\(labels.count), height, width] (one image per label)",
                                      found: images.shape)
        }
        guard labels.allSatisfy({ (0..<10).contains($0) }) else {
            throw IDXError.wrongShape(path: labelsURL.path, expected: "labels 0…9", found: [labels.max() ?? 0])
        }
        return FashionMNIST(images: images, labels: labels)
    }

    public var count: Int { labels.count }
    public var height: Int { images.shape[1] }
    public var width: Int { images.shape[2] }

    /// Indices of the images of each class.
    public func indicesByClass() -> [[Int]] {
        var out = [[Int]](repeating: [], count: 10)
        for (i, label) in labels.enumerated() { out[label].append(i) }
        return out
    }
}
