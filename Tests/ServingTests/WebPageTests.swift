import Foundation
import HTTPTypes
import XCTest

/// `GET /`: the page as HTML, holding every element its script looks up, and nothing loaded from elsewhere.
final class WebPageTests: XCTestCase {
    func testThePageIsHTMLWithEveryElementItsScriptUses() async throws {
        try await serve(try ServingBundles.classify) { port, _ in
            let page = try await HTTPExchange.send(port, .get, "/")
            XCTAssertEqual(page.status, 200)
            XCTAssertEqual(page.headers[.contentType], "text/html; charset=utf-8")
            let html = String(decoding: page.body, as: UTF8.self)
            for id in ["image", "question", "texts", "ask", "answers", "heatmap", "head", "error", "search", "search-go", "results"] {
                XCTAssertTrue(html.contains(#"id="\#(id)""#), "no element with id \(id)")
            }
            let looked = html.matches(of: #/\$\("([a-z-]+)"\)/#).map { String($0.output.1) }
            XCTAssertGreaterThan(looked.count, 20)
            for id in Set(looked) { XCTAssertTrue(html.contains(#"id="\#(id)""#), "the script looks up #\(id), which the page lacks") }
            XCTAssertFalse(html.contains("http://") || html.contains("https://"), "the page loads only from its own server")

            let posted = try await HTTPExchange.send(port, .post, "/", body: Data("{}".utf8))
            XCTAssertEqual(posted.status, 405)
            XCTAssertEqual(posted.headers[.allow], "GET")
        }
    }
}
