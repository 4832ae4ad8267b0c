import Encoders
import Foundation
import Imaging
import OwnData
import Tasks
import Tensors
import XCTest

/// The Sort-of-CLEVR generator, questions and vocabulary. Answers are checked against
/// an independent recomputation from the object list (and the objects against the rendered pixels).
final class SortOfCLEVRTests: XCTestCase {
    private let generator = SortOfCLEVRGenerator()

    private func examples(_ count: Int, seed: UInt64 = 0) -> [(SortOfCLEVRScene, [SortOfCLEVRQuestion])] {
        (0..<count).map { generator.example(seed: seed, split: .train, index: $0) }
    }

    func testSeededDeterminism() {
        let a = SortOfCLEVRSource.manifest(.train, count: 20, seed: 7)
        XCTAssertEqual(a.entries, SortOfCLEVRSource.manifest(.train, count: 20, seed: 7).entries)
        XCTAssertEqual(a.key, SortOfCLEVRSource.manifest(.train, count: 20, seed: 7).key)
        let longer = SortOfCLEVRSource.manifest(.train, count: 30, seed: 7)
        XCTAssertEqual(Array(longer.entries.prefix(400)), a.entries, "image i does not depend on the count")
        XCTAssertNotEqual(longer.key, a.key)
        XCTAssertNotEqual(SortOfCLEVRSource.manifest(.train, count: 20, seed: 8).entries.map(\.pixels), a.entries.map(\.pixels))
        XCTAssertNotEqual(SortOfCLEVRSource.manifest(.test, count: 20, seed: 7).entries.map(\.pixels), a.entries.map(\.pixels))
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
        let vocabulary = WordVocabulary(texts: SortOfCLEVR.allQuestionTexts)
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
}
