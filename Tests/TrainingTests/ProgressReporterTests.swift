import Training
import XCTest

final class ProgressReporterTests: XCTestCase {
    func testPlainLinesEveryLogEverySteps() {
        var out: [String] = []
        let p = ProgressReporter(style: .lines) { out.append($0) }
        for step in 1...7 {
            p.update(step: step, total: 7, startStep: 0, elapsed: Double(step), loss: 0.5, learningRate: 1e-4,
                     gradNorm: 2, skipped: false, logEvery: 3)
        }
        XCTAssertEqual(out.count, 3, "steps 3, 6 and the last")
        XCTAssertEqual(out[0], "step 3/7 loss 0.5000 lr 1.000e-04 ETA 4s grad_norm 2.0000 elapsed 3s\n")
        XCTAssertTrue(out[2].hasPrefix("step 7/7"))
    }

    func testBarRedrawsInPlace() {
        var out: [String] = []
        let p = ProgressReporter(style: .bar) { out.append($0) }
        p.update(step: 5, total: 10, startStep: 0, elapsed: 50, loss: 1.25, learningRate: 0.01, gradNorm: 1,
                 skipped: false, logEvery: 1)
        p.message("note")
        p.update(step: 10, total: 10, startStep: 0, elapsed: 100, loss: 1, learningRate: 0.01, gradNorm: 1,
                 skipped: false, logEvery: 1, metrics: ["relational": 0.5, "accuracy": 0.75])
        XCTAssertEqual(out[0], "\r\u{1B}[2K[############............] 5/10 loss 1.2500 lr 0.0100 ETA 50s")
        XCTAssertEqual(out[1], "\r\u{1B}[2Knote\n")
        XCTAssertTrue(out[2].hasSuffix("10/10 loss 1.0000 lr 0.0100 ETA 0s accuracy 75.0% relational 50.0%\n"), out[2])
    }
}
