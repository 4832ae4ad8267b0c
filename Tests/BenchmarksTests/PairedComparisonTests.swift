import Benchmarks
import XCTest

/// Turn-about timing: who goes first alternates, the ratios, quartiles, the seeded bootstrap interval and the verdict.
final class PairedComparisonTests: XCTestCase {
    func testSidesAlternateWhoGoesFirstAndPairTheirSamples() {
        var order: [String] = [], tick = 0.0
        let c = PairedComparison.measure(pairs: 4, warmups: 1, a: { order.append("a"); tick += 1; return tick },
                                         b: { order.append("b"); tick += 1; return 10 * tick })
        XCTAssertEqual(order, ["a", "b", "a", "b", "b", "a", "a", "b", "b", "a"])
        XCTAssertEqual(c.a, [3, 6, 7, 10])
        XCTAssertEqual(c.b, [40, 50, 80, 90])
    }

    func testQuantilesInterpolateAsNumPy() {
        XCTAssertEqual(PairedComparison.quantile([4, 1, 3, 2], 0.5), 2.5)
        XCTAssertEqual(PairedComparison.quantile([1, 2, 3, 4, 5], 0.25), 2)
        XCTAssertEqual(PairedComparison.quantile([10, 20], 0.75), 17.5)
        XCTAssertEqual(PairedComparison.quantile([7], 0.975), 7)
    }

    /// Ratios around 0.8 with a little spread: median, IQR, an interval that holds the median and excludes 1,
    /// the same interval on every call (seeded); ratios spread across 1 cannot be told apart.
    func testIntervalAndVerdict() {
        let a = (0..<40).map { 80 + Double($0 % 5) }, b = [Double](repeating: 100, count: 40)
        let c = PairedComparison(a: a, b: b)
        XCTAssertEqual(c.medianRatio, 0.82, accuracy: 1e-12)
        XCTAssertEqual(c.interquartileRange.low, 0.81, accuracy: 1e-12)
        XCTAssertEqual(c.interquartileRange.high, 0.83, accuracy: 1e-12)
        let (low, high) = c.interval()
        XCTAssertTrue(low <= 0.82 && 0.82 <= high && high < 1, "\(low)–\(high)")
        XCTAssertTrue(c.interval() == (low, high))
        XCTAssertEqual(c.verdict(a: "Swift", b: "PyTorch"), "Swift faster; interval within ±0.05")

        let wide = PairedComparison(a: (0..<30).map { 50 + Double($0 % 6) * 20 }, b: [Double](repeating: 100, count: 30))
        XCTAssertTrue(wide.verdict(a: "Swift", b: "PyTorch").hasPrefix("no difference can be told; spread too wide to conclude"),
                      wide.verdict(a: "Swift", b: "PyTorch"))
        XCTAssertTrue(PairedComparison(a: [120, 121, 119], b: [100, 100, 100]).verdict(a: "Swift", b: "PyTorch").hasPrefix("PyTorch faster"))
    }
}
