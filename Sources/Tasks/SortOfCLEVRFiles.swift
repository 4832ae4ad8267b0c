import Encoders
import Foundation
import Imaging
import OwnData
import Tensors

/// Sort-of-CLEVR on disk, for people and other tools:
///
///     DIR/vocab.json                 {"words": [...], "answers": [...], "max_tokens", "kinds", "seed", "train", "test", ...}
///     DIR/labels.txt                 the answers in class order, one per line (`crossmodal train --labels`)
///     DIR/<split>/images/000000.png  75×75 RGB images (split = train, test)
///     DIR/<split>/questions.jsonl    one question per line: image, question, answer, answer_id, kind, relational, color
///     DIR/<split>/scenes.jsonl       one scene per line: image and its objects (colour, shape, centre x, y)
///     DIR/<split>/manifest.jsonl     the questions as a manifest (image, text, label, group "relational/closest"
///                                    and so on), for `crossmodal train --data DIR/train/manifest.jsonl`
public enum SortOfCLEVRFiles {
    public static let vocabularyFile = "vocab.json", questionsFile = "questions.jsonl", scenesFile = "scenes.jsonl"
    public static let manifestFile = "manifest.jsonl", labelsFile = "labels.txt"
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
            guard isDirectory.boolValue, contents.isEmpty || contents.contains(vocabularyFile) else {
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
            let info = VocabularyFile(
                words: SortOfCLEVR.vocabulary.words, answers: SortOfCLEVRAnswer.allCases.map(\.description),
                kinds: QuestionKind.allCases.map(\.rawValue), maxTokens: SortOfCLEVR.maxTokens,
                imageSize: generator.imageSize, seed: seed, train: train, test: test)
            try write(try encoder(pretty: true).encode(info), to: temporary.appendingPathComponent(vocabularyFile))
            try write(Data(info.answers.map { $0 + "\n" }.joined().utf8), to: temporary.appendingPathComponent(labelsFile))
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
        let json = encoder(pretty: false)
        var questionLines = Data(), sceneLines = Data(), manifest: [ManifestEntry] = []
        for i in 0..<count {
            let (scene, questions) = generator.example(seed: seed, split: split, index: i)
            let name = SortOfCLEVRSource.imageName(i)
            let url = folder.appendingPathComponent(name)
            do {
                try write(try PNG.encode(scene.render(), path: url.path), to: url)
            } catch let error as ImageError {
                throw SortOfCLEVRError.unwritable(path: url.path, reason: "\(error)")
            }
            for q in questions {
                let record = QuestionRecord(
                    image: name, question: q.text, answer: q.answer.description, answerID: q.answer.rawValue,
                    kind: q.kind.rawValue, relational: q.kind.isRelational, color: q.color.rawValue)
                questionLines += try json.encode(record) + Data("\n".utf8)
            }
            manifest += SortOfCLEVRSource.entries(image: i, questions: questions, folder: folder, firstLine: manifest.count + 1)
            sceneLines += try json.encode(SceneRecord(image: name, scene: scene)) + Data("\n".utf8)
            progress(i + 1)
        }
        try write(questionLines, to: folder.appendingPathComponent(questionsFile))
        try write(sceneLines, to: folder.appendingPathComponent(scenesFile))
        do {
            try Manifest.write(manifest, to: folder.appendingPathComponent(manifestFile))
        } catch {
            throw SortOfCLEVRError.unwritable(path: folder.appendingPathComponent(manifestFile).path, reason: fileErrorReason(error, url: folder))
        }
    }

    private struct QuestionRecord: Encodable {
        var image, question, answer: String
        var answerID: Int
        var kind: String
        var relational: Bool
        var color: String

        enum CodingKeys: String, CodingKey {
            case image, question, answer, answerID = "answer_id", kind, relational, color
        }
    }

    private struct SceneRecord: Encodable {
        var image: String
        var scene: SortOfCLEVRScene
    }

    private struct VocabularyFile: Encodable {
        var words, answers, kinds: [String]
        var maxTokens, imageSize: Int
        var seed: UInt64
        var train, test: Int

        enum CodingKeys: String, CodingKey {
            case words, answers, kinds, maxTokens = "max_tokens", imageSize = "image_size", seed, train, test
        }
    }

    private static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
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
