import Foundation
import OwnDataFixtures
import XCTest

/// The page at `GET /` in a real browser (headless Chromium through WebDriver) against a live server with the
/// co-attention classifier: an image and a question give answers and a heatmap; a bad file gives the server's
/// error; with a match model and an index, a search shows thumbnails. The screenshot after the answers stays in the test's temporary directory, and is also written to the
/// path in `CROSSMODAL_SCREENSHOT` when set (docs/images/serve-page.png is made so). Skipped only when Chromium or
/// its driver is not installed.
final class WebPageBrowserTests: XCTestCase {
    func testAskingShowsAnswersAndAHeatmapAndABadFileShowsTheServersError() async throws {
        for path in [WebDriver.chromium, WebDriver.chromedriver] where !FileManager.default.isExecutableFile(atPath: path) {
            throw XCTSkip("\(path) is missing: `make deps` installs the Debian packages chromium chromium-driver (as root)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("web-page-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let image = directory.appendingPathComponent("quadrant-0.png"), bad = directory.appendingPathComponent("bad.png")
        try ServingBundles.png(0).write(to: image)
        try Data("this is a text file, not an image\n".utf8).write(to: bad)

        try await serve(try ServingBundles.classify) { port, _ in
            try await WebDriver.session(log: directory.appendingPathComponent("chromedriver.log")) { browser in
                try await browser.navigate(to: "http://127.0.0.1:\(port)/")
                _ = try await browser.wait(for: "the question box (shown once /healthz answers)") {
                    try await browser.execute("return !document.getElementById('classify').hidden") as? Bool == true ? true : nil
                }
                try await browser.sendKeys(try await browser.element("#image"), image.path)
                try await browser.sendKeys(try await browser.element("#question"), "where is the red square?")
                try await browser.click(try await browser.element("#ask"))
                let answers = try await browser.wait(for: "#answers li") {
                    let items = try await browser.execute("return [...document.querySelectorAll('#answers li')].map((li) => li.textContent)") as? [String]
                    return items?.isEmpty == false ? items : nil
                }
                XCTAssertEqual(answers.count, QuadrantData.quadrants.count, "\(answers)")
                XCTAssertTrue(answers.allSatisfy { answer in QuadrantData.quadrants.contains { answer.hasPrefix($0) } }, "\(answers)")
                let painted = try await browser.execute("""
                    const canvas = document.getElementById('heatmap');
                    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                    let painted = 0;
                    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
                    return { painted, width: canvas.width, heads: document.getElementById('head').options.length };
                    """)
                let heatmap = try XCTUnwrap(painted as? [String: Any])
                XCTAssertGreaterThan(heatmap["width"] as? Int ?? 0, 0, "\(heatmap)")
                XCTAssertGreaterThan(heatmap["painted"] as? Int ?? 0, 0, "the heatmap canvas is blank: \(heatmap)")
                XCTAssertGreaterThan(heatmap["heads"] as? Int ?? 0, 1, "the mean and each head: \(heatmap)")
                let errorHidden = try await browser.execute("return document.getElementById('error').hidden")
                XCTAssertEqual(errorHidden as? Bool, true, "no error after a good answer")

                let screenshot = try await browser.screenshot()
                try screenshot.write(to: directory.appendingPathComponent("serve-page.png"))
                if let path = ProcessInfo.processInfo.environment["CROSSMODAL_SCREENSHOT"], !path.isEmpty {
                    try screenshot.write(to: URL(fileURLWithPath: path))
                }

                let file = try await browser.element("#image")
                try await browser.clear(file)
                try await browser.sendKeys(file, bad.path)
                try await browser.click(try await browser.element("#ask"))
                let message = try await browser.wait(for: "#error to show the server's message") {
                    try await browser.execute("const error = document.getElementById('error'); return error.hidden ? null : error.textContent") as? String
                }
                XCTAssertTrue(message.contains("neither a PNG nor a JPEG"), message)
                let left = try await browser.execute("return document.querySelectorAll('#answers li').length")
                XCTAssertEqual(left as? Int, 0, "the last answers are cleared")
            }
        }
    }

    /// A match model served with an index: the search box appears, and a text brings back thumbnails (loaded from
    /// `/v1/images/{id}`) with their scores, best first.
    func testSearchingTheIndexShowsThumbnailsWithScores() async throws {
        for path in [WebDriver.chromium, WebDriver.chromedriver] where !FileManager.default.isExecutableFile(atPath: path) {
            throw XCTSkip("\(path) is missing: `make deps` installs the Debian packages chromium chromium-driver (as root)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("web-page-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await serve(try ServingBundles.match, index: try ServingBundles.data.url("train.jsonl")) { port, _ in
            try await WebDriver.session(log: directory.appendingPathComponent("chromedriver.log")) { browser in
                try await browser.navigate(to: "http://127.0.0.1:\(port)/")
                _ = try await browser.wait(for: "the search box (shown when /healthz reports an index)") {
                    try await browser.execute("return !document.getElementById('search-card').hidden") as? Bool == true ? true : nil
                }
                try await browser.sendKeys(try await browser.element("#search"), "where is the blue square?")
                try await browser.click(try await browser.element("#search-go"))
                let results = try await browser.wait(for: "#results thumbnails, loaded") {
                    let found = try await browser.execute("""
                        const images = [...document.querySelectorAll('#results img')];
                        if (images.length === 0 || !images.every((image) => image.complete && image.naturalWidth > 0)) return null;
                        return [...document.querySelectorAll('#results figcaption')].map((caption) => caption.textContent);
                        """) as? [String]
                    return found?.isEmpty == false ? found : nil
                }
                XCTAssertEqual(results.count, 12, "\(results)")
                let scores = results.compactMap { $0.split(separator: "·").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
                XCTAssertEqual(scores, scores.sorted(by: >), "\(results)")
            }
        }
    }

}
