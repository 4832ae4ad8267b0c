import Foundation
import Imaging
import OwnData
import Tensors

/// Sort-of-CLEVR on disk, for people and other tools:
///
///     DIR/labels.txt                 the answers in class order, one per line (`crossmodal train --labels`)
///     DIR/<split>/images/000000.png  75×75 RGB images (split = train, test)
///     DIR/<split>/manifest.jsonl     one question per line: image, text, label (the answer), group ("relational/closest",
///                                    "non-relational/shape", …), for `crossmodal train --data DIR/train/manifest.jsonl`
///     DIR/<split>/scenes.jsonl       one scene per line: image and its objects (colour, shape, centre x, y)
public enum SortOfCLEVRFiles {
    public static let scenesFile = "scenes.jsonl", manifestFile = "manifest.jsonl", labelsFile = "labels.txt"
    public static let imagesFolder = "images"

    /// Generates `train` and `test` images under `seed` (the same data as `SortOfCLEVRSource.manifest`) and
    /// writes them to `directory` atomically: everything goes into a temporary directory next to it that is
    /// renamed into place at the end, replacing an earlier dataset there. `progress(split, done, total)` is
    /// called after every image.
    public static func generate(to directory: URL, train: Int = SortOfCLEVR.trainImages, test: Int = SortOfCLEVR.testImages,
                                seed: UInt64 = 0, generator: SortOfCLEVRGenerator = SortOfCLEVRGenerator(),
                                progress: ((SortOfCLEVR.Split, Int, Int) -> Void)? = nil) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: directory.path, isDirectory: &isDirectory)
        if exists {
            let contents = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? ["?"]
            guard isDirectory.boolValue, contents.isEmpty || contents.contains(labelsFile) else {
                throw SortOfCLEVRError.outputNotEmpty(path: directory.path)
            }
        }
        let parent = directory.deletingLastPathComponent()
        let temporary = parent.appendingPathComponent(".tmp-\(directory.lastPathComponent)-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        } catch {
            throw SortOfCLEVRError.unwritable(path: temporary.path, reason: fileErrorReason(error, url: temporary))
        }
        do {
            for (split, count) in [(SortOfCLEVR.Split.train, train), (.test, test)] {
                try writeSplit(split, count: count, seed: seed, generator: generator, to: temporary) { progress?(split, $0, count) }
            }
            try write(Data(SortOfCLEVRSource.labels.map { $0 + "\n" }.joined().utf8), to: temporary.appendingPathComponent(labelsFile))
            if exists {
                let old = parent.appendingPathComponent(".tmp-old-\(directory.lastPathComponent)-\(UUID().uuidString)")
                try move(directory, to: old)
                try move(temporary, to: directory)
                try? fm.removeItem(at: old)
            } else {
                try move(temporary, to: directory)
            }
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
    }

    private static func writeSplit(_ split: SortOfCLEVR.Split, count: Int, seed: UInt64, generator: SortOfCLEVRGenerator,
                                   to root: URL, progress: (Int) -> Void) throws {
        let folder = root.appendingPathComponent(split.rawValue), images = folder.appendingPathComponent(imagesFolder)
        do {
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        } catch {
            throw SortOfCLEVRError.unwritable(path: images.path, reason: fileErrorReason(error, url: images))
        }
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var sceneLines = Data(), manifest: [ManifestEntry] = []
        for i in 0..<count {
            let (scene, questions) = generator.example(seed: seed, split: split, index: i)
            let name = SortOfCLEVRSource.imageName(i)
            let url = folder.appendingPathComponent(name)
            do {
                try write(try PNG.encode(scene.render(), path: url.path), to: url)
            } catch let error as ImageError {
                throw SortOfCLEVRError.unwritable(path: url.path, reason: "\(error)")
            }
            manifest += SortOfCLEVRSource.entries(image: i, questions: questions, folder: folder, firstLine: manifest.count + 1)
            sceneLines += try json.encode(SceneRecord(image: name, scene: scene)) + Data("\n".utf8)
            progress(i + 1)
        }
        try write(sceneLines, to: folder.appendingPathComponent(scenesFile))
        do {
            try Manifest.write(manifest, to: folder.appendingPathComponent(manifestFile))
        } catch {
            throw SortOfCLEVRError.unwritable(path: folder.appendingPathComponent(manifestFile).path, reason: fileErrorReason(error, url: folder))
        }
    }

    private struct SceneRecord: Encodable {
        var image: String
        var scene: SortOfCLEVRScene
    }

    private static func write(_ data: Data, to url: URL) throws {
        do {
            try data.write(to: url)
        } catch {
            throw SortOfCLEVRError.unwritable(path: url.path, reason: fileErrorReason(error, url: url))
        }
    }

    private static func move(_ from: URL, to: URL) throws {
        guard rename(from.path, to.path) == 0 else {
            throw SortOfCLEVRError.unwritable(path: to.path, reason: "cannot rename \(from.lastPathComponent): \(String(cString: strerror(errno)))")
        }
    }
}
