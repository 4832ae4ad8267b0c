import Foundation
import Hummingbird
import Imaging
import NIOCore

/// The named fields of a request body, from a JSON object or a `multipart/form-data` form (where an image is an
/// uploaded file and a list is the same name repeated), read with the server's limits: every accessor throws an
/// `APIError` naming the field and saying what was expected and what was found.
struct RequestFields {
    private enum Value {
        case json(JSONValue)
        case part(Data)
    }

    private let fields: [String: [Value]]
    private let multipart: Bool

    /// Reads the body (413 from the declared length, or as soon as more than `limits.maxBodyBytes` arrive, before the
    /// rest is read) and parses it by its content type; unknown fields are refused so that typos do not go unseen.
    static func read(_ request: Request, limits: ServingLimits, allowed: Set<String>) async throws -> RequestFields {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limits.maxBodyBytes {
            throw APIError.bodyTooLarge(limits.maxBodyBytes)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limits.maxBodyBytes)
        }
        let body = Data(buffer.readableBytesView)
        let contentType = request.headers[.contentType] ?? ""
        let fields: RequestFields
        if let boundary = MultipartForm.boundary(contentType: contentType) {
            let form = try MultipartForm(body: body, boundary: boundary)
            fields = RequestFields(fields: Dictionary(grouping: form.parts, by: \.name).mapValues { $0.map { .part($0.data) } }, multipart: true)
        } else if contentType.isEmpty || contentType.lowercased().hasPrefix("application/json") {
            fields = RequestFields(fields: try parseJSON(body).mapValues { [.json($0)] }, multipart: false)
        } else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type",
                           "Content-Type \(contentType) is not accepted; send application/json or multipart/form-data"
                           + (contentType.hasPrefix("application/x-www-form-urlencoded")
                              ? " (curl -d sends this type: add -H 'Content-Type: application/json')" : ""))
        }
        if let unknown = fields.fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.invalid(unknown, "unknown field \"\(unknown)\"; this route takes \(allowed.sorted().joined(separator: ", "))")
        }
        return fields
    }

    private static func parseJSON(_ body: Data) throws(APIError) -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            throw APIError(.badRequest, code: "malformed_json", "the body is not valid JSON: \(syntaxError(body)); send one JSON object")
        }
        guard case let .object(object) = value else {
            throw APIError(.badRequest, code: "malformed_json", "the body is \(value.kind), expected a JSON object of fields")
        }
        return object
    }

    /// Where the JSON parser stopped and why, as line and column (JSONDecoder's own error does not say where).
    private static func syntaxError(_ body: Data) -> String {
        guard !body.isEmpty else { return "the body is empty" }
        do {
            _ = try JSONSerialization.jsonObject(with: body, options: .fragmentsAllowed)
            return "it does not decode"
        } catch {
            let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
            guard let range = detail.range(of: #"(?<=character )\d+"#, options: .regularExpression), let offset = Int(detail[range]),
                  offset <= body.count else { return detail }
            let before = body.prefix(offset), line = before.filter { $0 == 10 }.count + 1
            let column = offset - (before.lastIndex(of: 10).map { $0 + 1 } ?? 0) + 1
            let reason = detail.components(separatedBy: " around character").first ?? detail
            return "\(reason) at line \(line), column \(column) (byte \(offset))"
        }
    }

    private func single(_ name: String) throws(APIError) -> Value? {
        guard let values = fields[name] else { return nil }
        guard values.count == 1 else { throw APIError.invalid(name, "\"\(name)\" is given \(values.count) times; give it once") }
        return values[0]
    }

    /// The image in `name`: base64 PNG or JPEG bytes (a `data:` URL too) in JSON, the uploaded file in a form;
    /// decoded, and refused when it is none, broken, or has a side of 0 or over `limits.maxImageSide` pixels.
    func image(_ name: String, limits: ServingLimits) throws(APIError) -> RGBImage {
        let bytes: Data
        switch try single(name) {
        case nil: throw APIError.invalid(name, "\"\(name)\" is missing; send a PNG or JPEG image" + (multipart ? " as a file field" : " as base64"))
        case let .part(data)?: bytes = data
        case let .json(.string(text))?:
            let payload = text.hasPrefix("data:") ? String(text.drop(while: { $0 != "," }).dropFirst()) : text
            guard let data = Data(base64Encoded: payload, options: .ignoreUnknownCharacters), !data.isEmpty || payload.isEmpty else {
                throw APIError.invalid(name, "\"\(name)\" is not base64; send the PNG or JPEG file's bytes base64-encoded")
            }
            bytes = data
        case let .json(other)?: throw APIError.invalid(name, "\"\(name)\" is \(other.kind), expected a base64 string of a PNG or JPEG image")
        }
        guard !bytes.isEmpty else { throw APIError.invalid(name, "\"\(name)\" is empty; send a PNG or JPEG image") }
        let image: RGBImage
        do {
            image = try ImageFile.decode(bytes, path: "the image", maxSide: limits.maxImageSide)
        } catch {
            throw APIError.invalid(name, "\(error)")
        }
        guard image.width > 0, image.height > 0 else {
            throw APIError.invalid(name, "the image is \(image.width)×\(image.height) pixels; send one at least 1 pixel a side")
        }
        return image
    }

    /// The non-empty text in `name`, at most `limits.maxTextChars` characters.
    func text(_ name: String, limits: ServingLimits) throws(APIError) -> String {
        switch try single(name) {
        case nil: throw APIError.invalid(name, "\"\(name)\" is missing; send the question or caption as a string")
        case let .part(data)?: return try checked(String(decoding: data, as: UTF8.self), name, limits)
        case let .json(.string(text))?: return try checked(text, name, limits)
        case let .json(other)?: throw APIError.invalid(name, "\"\(name)\" is \(other.kind), expected a string")
        }
    }

    /// The non-empty list of texts in `name` (a JSON array, or the field repeated in a form), each checked as `text`.
    func texts(_ name: String, limits: ServingLimits) throws(APIError) -> [String] {
        let texts: [String]
        if multipart, let values = fields[name] {
            texts = values.map { if case let .part(data) = $0 { String(decoding: data, as: UTF8.self) } else { "" } }
        } else {
            switch try single(name) {
            case nil: throw APIError.invalid(name, "\"\(name)\" is missing; send the texts to score as an array of strings")
            case let .json(.array(items))?:
                texts = try items.map { item throws(APIError) in
                    guard case let .string(text) = item else { throw APIError.invalid(name, "\"\(name)\" holds \(item.kind), expected strings only") }
                    return text
                }
            case let .json(other)?: throw APIError.invalid(name, "\"\(name)\" is \(other.kind), expected an array of strings")
            case .part?: preconditionFailure("RequestFields: a form part in a JSON body")
            }
        }
        guard !texts.isEmpty, texts.count <= limits.maxTexts else {
            throw APIError.invalid(name, "\"\(name)\" holds \(texts.count) texts; send 1 to \(limits.maxTexts)")
        }
        return try texts.map { text throws(APIError) in try checked(text, name, limits) }
    }

    private func checked(_ text: String, _ name: String, _ limits: ServingLimits) throws(APIError) -> String {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.invalid(name, "\"\(name)\" is empty; send a question or caption with at least one word")
        }
        guard text.count <= limits.maxTextChars else {
            throw APIError.invalid(name, "\"\(name)\" has \(text.count) characters, over the limit of \(limits.maxTextChars) (--max-text-chars)")
        }
        return text
    }

    /// The integer in `name` within `range`, or `default` when absent.
    func int(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(APIError) -> Int {
        let found: Int?
        switch try single(name) {
        case nil: return value
        case let .part(data)?: found = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespaces))
        case let .json(.number(number))?: found = number == number.rounded() && abs(number) < 1e9 ? Int(number) : nil
        case .json?: found = nil
        }
        guard let found, range.contains(found) else {
            throw APIError.invalid(name, "\"\(name)\" must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return found
    }

    /// The boolean in `name` (`true` or `false`, in a form as text), or `default` when absent.
    func bool(_ name: String, default value: Bool) throws(APIError) -> Bool {
        switch try single(name) {
        case nil: return value
        case let .json(.bool(flag))?: return flag
        case let .part(data)?:
            switch String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespaces) {
            case "true": return true
            case "false": return false
            default: break
            }
        case .json?: break
        }
        throw APIError.invalid(name, "\"\(name)\" must be true or false")
    }
}
