import Foundation
@testable import Serving
import XCTest

final class MultipartFormTests: XCTestCase {
    func testPartsKeepTheirNamesFileNamesAndBinaryBytes() throws {
        let binary = Data([0x89, 0x50, 0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0xFF])  // CR LF and "--" inside a file
        var body = Data("--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        body += binary + Data("\r\n--XyZ\r\nContent-Disposition: form-data; name=text\r\n\r\nwhere is it?\r\n--XyZ--\r\n".utf8)
        XCTAssertEqual(MultipartForm.boundary(contentType: "multipart/form-data; boundary=\"XyZ\""), "XyZ")
        XCTAssertNil(MultipartForm.boundary(contentType: "application/json"))
        let form = try MultipartForm(body: body, boundary: "XyZ")
        XCTAssertEqual(form.parts.map(\.name), ["image", "text"])
        XCTAssertEqual(form.parts[0].filename, "a.png")
        XCTAssertEqual(form.parts[0].data, binary)
        XCTAssertEqual(String(decoding: form.parts[1].data, as: UTF8.self), "where is it?")
    }

    func testMalformedBodiesSayWhatIsWrong() {
        let cases = [("no boundary at all", "has no boundary"),
                     ("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated", "ends inside a part"),
                     ("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "without Content-Disposition"),
                     ("--b\r\nContent-Disposition: form-data; name=\"a\"", "blank line")]
        for (body, expected) in cases {
            XCTAssertThrowsError(try MultipartForm(body: Data(body.utf8), boundary: "b")) { error in
                XCTAssertEqual((error as? APIError)?.code, "malformed_multipart")
                XCTAssertTrue((error as? APIError)?.message.contains(expected) == true, "\(error)")
            }
        }
    }
}
