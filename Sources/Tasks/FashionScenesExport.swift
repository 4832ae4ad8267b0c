import Foundation
import Imaging
import OwnData

/// Fashion scenes as an ordinary own-data set: each scene a 56×56 PNG under `images/`, and `train.jsonl` /
/// `test.jsonl` manifests pairing each scene with its true caption ("a sneaker above a bag, …"), for
/// `crossmodal train --task match`. The scenes are the ones `fashion-scenes reproduce` uses for the same counts
/// and seed.
public enum FashionScenesExport {
    /// Writes the data set into `directory` (which must not exist or be empty), atomically: everything goes
    /// into a temporary directory beside it that is renamed into place at the end. Returns the manifests.
    @discardableResult
    public static func write(to directory: URL, trainScenes: Int, testScenes: Int, seed: UInt64,
                             fashionMNIST: URL = FashionMNIST.debianDirectory) throws -> [URL] {
        let fm = FileManager.default
        if let contents = try? fm.contentsOfDirectory(atPath: directory.path), !contents.isEmpty {
            throw ImageTextError.outputHoldsOtherRun(path: directory.path, reason: "is not empty")
        }
        let temporary = directory.deletingLastPathComponent().appendingPathComponent(".tmp-\(directory.lastPathComponent)-\(UUID().uuidString)")
        try fm.createDirectory(at: temporary.appendingPathComponent("images"), withIntermediateDirectories: true)
        do {
            for (split, count, splitSeed) in [(FashionMNIST.Split.train, trainScenes, seed), (.test, testScenes, seed &+ 1)] {
                let data = try FashionMNIST.load(split, directory: fashionMNIST)
                let scenes = FashionScene.generate(count: count, from: data, seed: splitSeed)
                var entries: [ManifestEntry] = []
                for (i, scene) in scenes.enumerated() {
                    let name = "images/\(split.rawValue)-\(String(format: "%06d", i)).png"
                    try PNG.write(scene.image(data), to: temporary.appendingPathComponent(name))
                    entries.append(ManifestEntry(line: i + 1, image: name, imageURL: temporary.appendingPathComponent(name), text: scene.caption.text))
                }
                try Manifest.write(entries, to: temporary.appendingPathComponent("\(split.rawValue).jsonl"))
            }
            try? fm.removeItem(at: directory)
            try fm.moveItem(at: temporary, to: directory)
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
        return ["train.jsonl", "test.jsonl"].map { directory.appendingPathComponent($0) }
    }
}
