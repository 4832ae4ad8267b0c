import Foundation
import Training
import XCTest

final class TrainingConfigTests: XCTestCase {
    override func tearDown() { removeTemporaryDirectories() }

    func testParsesEveryKeyAndDefaultsTheRest() throws {
        let c = try TrainingConfig(yaml: """
            steps: 500
            batch_size: 16
            learning_rate: 3e-4
            min_learning_rate: 1.0e-5
            warmup_steps: 50
            clip_norm: 0
            seed: 42
            output_dir: runs/exp1
            """)
        var expected = TrainingConfig()
        expected.steps = 500
        expected.batchSize = 16
        expected.learningRate = 3e-4
        expected.minLearningRate = 1e-5
        expected.warmupSteps = 50
        expected.clipNorm = 0
        expected.seed = 42
        expected.outputDir = "runs/exp1"
        XCTAssertEqual(c, expected)
        XCTAssertEqual(try TrainingConfig(yaml: ""), TrainingConfig())
        XCTAssertEqual(TrainingConfig().clipNorm, 1)
        XCTAssertEqual(TrainingConfig().nonFinitePatience, 5)
        XCTAssertEqual(TrainingConfig().nonFiniteBackoff, 0.5)
    }

    func testLoadsFromFile() throws {
        let dir = temporaryDirectory("config")
        let url = dir.appendingPathComponent("train.yaml")
        try "steps: 7\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TrainingConfig.load(from: url).steps, 7)
        XCTAssertThrowsError(try TrainingConfig.load(from: dir.appendingPathComponent("missing.yaml"))) { error in
            guard case .unreadable(let path, _)? = error as? TrainingConfigError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("missing.yaml"))
        }
    }

    func testUnknownKeyIsRejectedByNameWithSuggestion() {
        XCTAssertThrowsError(try TrainingConfig(yaml: "steps: 10\nlerning_rate: 0.1\n")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("unknown key 'lerning_rate' in training config"), text)
            XCTAssertTrue(text.contains("known keys: steps, batch_size, learning_rate"), text)
            XCTAssertTrue(text.hasSuffix("did you mean 'learning_rate'?"), text)
        }
        XCTAssertThrowsError(try TrainingConfig(yaml: "completely_different: 1")) { error in
            XCTAssertFalse("\(error)".contains("did you mean"), "\(error)")
        }
    }

    func testInvalidValuesSayWhatWasExpected() {
        let cases: [(String, String, String)] = [
            ("steps: -5", "'steps'", "an integer ≥ 1"),
            ("steps: ten", "'ten' for 'steps'", "an integer"),
            ("learning_rate: 0", "'learning_rate'", "a finite number > 0"),
            ("learning_rate: .nan", "'learning_rate'", "a finite number > 0"),
            ("beta2: 1.0", "'beta2'", "[0, 1)"),
            ("clip_norm: -1", "'clip_norm'", "0 disables clipping"),
            ("non_finite_backoff: 0", "'non_finite_backoff'", "(0, 1]"),
            ("warmup_steps: 20\nsteps: 10", "'warmup_steps'", "[0, steps = 10]"),
            ("seed: -1", "'-1' for 'seed'", "unsigned"),
            ("keep_checkpoints: 0", "'keep_checkpoints'", "≥ 1"),
            ("batch_size: [1, 2]", "a sequence for 'batch_size'", "an integer"),
        ]
        for (yaml, found, expected) in cases {
            XCTAssertThrowsError(try TrainingConfig(yaml: yaml), yaml) { error in
                guard case .invalidValue? = error as? TrainingConfigError else { return XCTFail("\(yaml): \(error)") }
                XCTAssertTrue("\(error)".contains(found), "\(yaml): \(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(yaml): \(error)")
            }
        }
        XCTAssertThrowsError(try TrainingConfig(yaml: "- steps\n- 3")) { error in
            guard case .malformed? = error as? TrainingConfigError else { return XCTFail("\(error)") }
        }
    }

    func testFieldTableCoversEveryKeyAndMatchesTheDocs() throws {
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainingConfig())) as! [String: Any]
        XCTAssertEqual(Set(encoded.keys), Set(TrainingConfig.fields.map(\.key)))
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/training-config.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        XCTAssertTrue(text.contains(TrainingConfig.referenceMarkdown()),
                      "docs/training-config.md is stale; paste this table:\n\(TrainingConfig.referenceMarkdown())")
    }

    func testRoundTripsThroughJSON() throws {
        var c = TrainingConfig()
        c.seed = .max
        c.learningRate = 0.1
        XCTAssertEqual(try JSONDecoder().decode(TrainingConfig.self, from: JSONEncoder().encode(c)), c)
    }
}
