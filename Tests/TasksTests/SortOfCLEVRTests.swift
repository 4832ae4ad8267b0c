import Encoders
import Foundation
import Imaging
import Tasks
import Tensors
import XCTest

/// The Sort-of-CLEVR generator, questions, vocabulary, dataset batches and files. Answers are checked against
/// an independent recomputation from the object list (and the objects against the rendered pixels).
final class SortOfCLEVRTests: XCTestCase {
    private let generator = SortOfCLEVRGenerator()

    private func examples(_ count: Int, seed: UInt64 = 0) -> [(SortOfCLEVRScene, [SortOfCLEVRQuestion])] {
        (0..<count).map { generator.example(seed: seed, split: .train, index: $0) }
    }

    func testSeededDeterminism() {
        let a = SortOfCLEVRDataset.generate(count: 20, seed: 7, split: .train)
        let b = SortOfCLEVRDataset.generate(count: 20, seed: 7, split: .train)
        XCTAssertEqual(a.scenes, b.scenes)
        XCTAssertEqual(a.questions, b.questions)
        XCTAssertEqual(a.images, b.images)
        let longer = SortOfCLEVRDataset.generate(count: 30, seed: 7, split: .train)
        XCTAssertEqual(Array(longer.scenes.prefix(20)), a.scenes, "image i does not depend on the count")
        XCTAssertNotEqual(SortOfCLEVRDataset.generate(count: 20, seed: 8, split: .train).scenes, a.scenes)
        XCTAssertNotEqual(SortOfCLEVRDataset.generate(count: 20, seed: 7, split: .test).scenes, a.scenes)
    }

    func testScenesHaveSixUniqueColoursWithoutOverlapInsideTheImage() {
        for (scene, _) in examples(200) {
            XCTAssertEqual(scene.objects.count, 6)
            XCTAssertEqual(Set(scene.objects.map(\.color)), Set(SortOfCLEVRColor.allCases))
            // Render each object alone: the pixel sets must be disjoint, not even touching, and all inside.
            var owner = [Int](repeating: -1, count: 75 * 75)
            for (k, object) in scene.objects.enumerated() {
                let alone = SortOfCLEVRScene(imageSize: 75, objectSize: 10, objects: [object]).render()
                var area = 0
                for y in 0..<75 {
                    for x in 0..<75 where alone[x, y] != .white {
                        area += 1
                        for (nx, ny) in [(x, y), (x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where (0..<75).contains(nx) && (0..<75).contains(ny) {
                            let o = owner[ny * 75 + nx]
                            if o != -1 && o != k { XCTFail("objects \(o) and \(k) overlap or touch in \(scene)") }
                        }
                        owner[y * 75 + x] = k
                    }
                }
                // A whole square is 100 pixels, a whole circle of diameter 10 about 80: none is cut by the border.
                XCTAssertEqual(area, object.shape == .square ? 100 : 80, "\(object)")
            }
            // The full image shows exactly those pixels in those colours.
            let image = scene.render()
            let wrong = (0..<75 * 75).filter { i in
                let o = owner[i]
                return image[i % 75, i / 75] != (o == -1 ? .white : scene.objects[o].color.rgb)
            }
            XCTAssertEqual(wrong, [], "pixels of the full image that differ from the objects drawn alone")
        }
    }

    /// Answers recomputed from the objects' pixels (centroids), not from the generator's code.
    func testEveryAnswerIsCorrect() {
        for (scene, questions) in examples(200) {
            let image = scene.render()
            var centroid: [SortOfCLEVRColor: (x: Double, y: Double)] = [:], shape: [SortOfCLEVRColor: String] = [:]
            for object in scene.objects {
                var xs = 0.0, ys = 0.0, n = 0.0, corners = 0
                for y in 0..<75 { for x in 0..<75 where image[x, y] == object.color.rgb { xs += Double(x) + 0.5; ys += Double(y) + 0.5; n += 1 } }
                centroid[object.color] = (xs / n, ys / n)
                // A square fills the corners of its 10×10 bounding box; a circle does not.
                let (cx, cy) = (Int(xs / n), Int(ys / n))
                for (dx, dy) in [(-5, -5), (4, -5), (-5, 4), (4, 4)] where image[cx + dx, cy + dy] == object.color.rgb { corners += 1 }
                shape[object.color] = corners == 4 ? "square" : "circle"
            }
            XCTAssertEqual(questions.count, 20)
            XCTAssertEqual(questions.filter { $0.kind.isRelational }.count, 10)
            XCTAssertEqual(Set(questions.map { "\($0.kind)\($0.color)" }).count, 20, "no repeated question")
            for q in questions {
                let me = centroid[q.color]!
                let others = SortOfCLEVRColor.allCases.filter { $0 != q.color }
                func d(_ c: SortOfCLEVRColor) -> Double { hypot(centroid[c]!.x - me.x, centroid[c]!.y - me.y) }
                let sortedOthers = others.sorted { d($0) < d($1) }
                let expected: String
                switch q.kind {
                case .shape: expected = shape[q.color]!
                case .horizontal: expected = me.x < 37.5 ? "left" : "right"
                case .vertical: expected = me.y < 37.5 ? "top" : "bottom"
                case .closest: expected = shape[sortedOthers.first!]!
                case .furthest: expected = shape[sortedOthers.last!]!
                case .count: expected = String(SortOfCLEVRColor.allCases.filter { shape[$0] == shape[q.color] }.count)
                }
                XCTAssertEqual(q.answer.description, expected, "\(q.text) in \(scene)")
                if q.kind == .closest || q.kind == .furthest {
                    let ds = sortedOthers.map(d)
                    XCTAssertTrue(ds[0] < ds[1] && ds[3] < ds[4], "no distance ties: \(ds)")
                }
            }
        }
    }

    func testAnswerDistributionPerKindIsSane() {
        var counts: [QuestionKind: [SortOfCLEVRAnswer: Int]] = [:]
        for (_, questions) in examples(500) {
            for q in questions { counts[q.kind, default: [:]][q.answer, default: 0] += 1 }
        }
        let allowed: [QuestionKind: Set<SortOfCLEVRAnswer>] = [
            .shape: [.square, .circle], .horizontal: [.left, .right], .vertical: [.top, .bottom],
            .closest: [.square, .circle], .furthest: [.square, .circle],
            .count: [.one, .two, .three, .four, .five, .six],
        ]
        for kind in QuestionKind.allCases {
            let histogram = counts[kind]!, total = histogram.values.reduce(0, +)
            XCTAssertTrue(Set(histogram.keys).isSubset(of: allowed[kind]!), "\(kind): \(histogram)")
            XCTAssertGreaterThan(total, 1200, "\(kind) asked often enough (\(total) of 10,000)")
            if kind == .count {
                XCTAssertGreaterThanOrEqual(histogram.count, 5, "count answers spread: \(histogram)")
                XCTAssertLessThan(histogram.values.max()!, total / 2)
            } else {
                let majority = Double(histogram.values.max()!) / Double(total)
                XCTAssertLessThan(majority, 0.6, "\(kind) is not dominated by one answer: \(histogram)")
            }
        }
    }

    func testTokenisationRoundTrip() {
        let vocabulary = SortOfCLEVR.vocabulary
        XCTAssertEqual(Array(vocabulary.words.prefix(2)), ["[PAD]", "[UNK]"])
        XCTAssertEqual(WordVocabulary.tokens("Is the red object on the left, or right?"),
                       ["is", "the", "red", "object", "on", "the", "left", ",", "or", "right", "?"])
        for text in SortOfCLEVR.allQuestionTexts {
            let ids = vocabulary.encode(text)
            XCTAssertFalse(ids.contains(WordVocabulary.unknownID), text)
            XCTAssertEqual(vocabulary.decode(ids), text.lowercased())
        }
        XCTAssertEqual(vocabulary.encode("What is the colour of the purple object?").filter { $0 == WordVocabulary.unknownID }.count, 2)
        let texts = ["What is the shape of the red object?", "How many objects have the same shape as the blue object?"]
        let (ids, mask) = vocabulary.encode(texts)
        XCTAssertEqual(mask.shape, [2, 12])
        XCTAssertEqual(mask.values.filter { !$0 }.count, 9 + 12)
        XCTAssertEqual(Array(ids[9..<12]), [0, 0, 0])
        XCTAssertEqual(vocabulary.decode(Array(ids[0..<12])), texts[0].lowercased())
        let json = try! JSONEncoder().encode(vocabulary)
        XCTAssertEqual(try! JSONDecoder().decode(WordVocabulary.self, from: json), vocabulary)
        XCTAssertThrowsError(try JSONDecoder().decode(WordVocabulary.self, from: Data(#"["a","b"]"#.utf8)))
    }

    func testBatches() {
        let data = SortOfCLEVRDataset.generate(count: 6, seed: 3, split: .test)
        XCTAssertEqual(data.questions.count, 120)
        let batch = data.batch(indices: [0, 25, 119])
        XCTAssertEqual(batch.images.shape, [3, 3, 75, 75])
        XCTAssertEqual(batch.tokens.count, 3 * data.maxTokens)
        XCTAssertEqual(batch.mask.shape, [3, data.maxTokens])
        XCTAssertEqual(batch.answers, [0, 25, 119].map { data.questions[$0].answer.rawValue })
        XCTAssertEqual(batch.kinds, [0, 25, 119].map { data.questions[$0].kind })
        XCTAssertEqual(Array(batch.images.scalars[(3 * 75 * 75)..<(6 * 75 * 75)]), data.images[1].tensor().scalars)
        let q = data.questions[25]
        let row = Array(batch.tokens[data.maxTokens..<(2 * data.maxTokens)])
        XCTAssertEqual(data.vocabulary.decode(row), q.text.lowercased())
        let length = WordVocabulary.tokens(q.text).count
        XCTAssertEqual(Array(batch.mask.values[data.maxTokens..<(2 * data.maxTokens)]), (0..<data.maxTokens).map { $0 >= length })

        let byImage = data.batch(imageIndices: [4, 1])
        XCTAssertEqual(byImage.images.shape, [2, 3, 75, 75])
        XCTAssertEqual(byImage.count, 40)
        XCTAssertEqual(byImage.imageOfQuestion, Array(repeating: 0, count: 20) + Array(repeating: 1, count: 20))
        XCTAssertEqual(byImage.answers, (data.questionsOfImage[4] + data.questionsOfImage[1]).map { data.questions[$0].answer.rawValue })
        XCTAssertEqual(Array(byImage.images.scalars[0..<(3 * 75 * 75)]), data.images[4].tensor().scalars)
    }

    func testGeneratedFilesReadBack() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("SortOfCLEVRTests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("data")
        var reported: [String] = []
        try SortOfCLEVRFiles.generate(to: out, train: 5, test: 3, seed: 11) { split, done, total in
            reported.append("\(split.rawValue) \(done)/\(total)")
        }
        XCTAssertEqual(reported.last, "test 3/3")
        XCTAssertTrue(reported.contains("train 5/5"))
        for (split, count) in [(SortOfCLEVR.Split.train, 5), (.test, 3)] {
            let loaded = try SortOfCLEVRFiles.load(out, split: split)
            let fresh = SortOfCLEVRDataset.generate(count: count, seed: 11, split: split)
            XCTAssertEqual(loaded.images, fresh.images, "\(split) PNGs decode to the rendered images")
            XCTAssertEqual(loaded.questions, fresh.questions)
            XCTAssertEqual(loaded.imageOfQuestion, fresh.imageOfQuestion)
            XCTAssertEqual(loaded.scenes, fresh.scenes)
            XCTAssertEqual(loaded.vocabulary, SortOfCLEVR.vocabulary)
            XCTAssertEqual(try PNG.read(out.appendingPathComponent("\(split.rawValue)/images/000000.png")), fresh.images[0])
        }
        let firstLine = try String(contentsOf: out.appendingPathComponent("train/questions.jsonl"), encoding: .utf8)
            .split(separator: "\n")[0]
        let record = try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as! [String: Any]
        XCTAssertEqual(Set(record.keys), ["image", "question", "answer", "answer_id", "kind", "relational", "color"])
        XCTAssertEqual(record["image"] as? String, "images/000000.png")

        // Regenerating replaces the data set; no temporary directory is left behind.
        try SortOfCLEVRFiles.generate(to: out, train: 2, test: 1, seed: 12)
        XCTAssertEqual(try SortOfCLEVRFiles.load(out, split: .train).images.count, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["data"])

        // A directory holding something else is refused, untouched.
        let other = root.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: other.appendingPathComponent("notes.txt"))
        XCTAssertThrowsError(try SortOfCLEVRFiles.generate(to: other, train: 1, test: 1)) { error in
            XCTAssertEqual(error as? SortOfCLEVRError, .outputNotEmpty(path: other.path))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: other.path), ["notes.txt"])

        // A corrupted questions file is a typed error naming the line.
        let questions = out.appendingPathComponent("test/questions.jsonl")
        try (Data("{\"nonsense\": 1}\n".utf8)).write(to: questions)
        XCTAssertThrowsError(try SortOfCLEVRFiles.load(out, split: .test)) { error in
            guard case let .invalidDataset(path, _)? = error as? SortOfCLEVRError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("questions.jsonl line 1"), path)
        }
    }
}
