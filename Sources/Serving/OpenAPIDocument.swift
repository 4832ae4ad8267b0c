/// The OpenAPI 3.1 description of the server's routes, served at `GET /openapi.json`: every route with its
/// request bodies (JSON and multipart), responses and errors, and the limits this server runs with.
enum OpenAPIDocument {
    /// The document for a server with `limits`; `title` names the model it serves.
    static func make(title: String, limits: ServingLimits) -> JSONValue {
        [
            "openapi": "3.1.0",
            "info": ["title": .string("crossmodal serve: \(title)"), "version": "1",
                     "description": "A trained CrossModal model bundle behind a batched JSON API."],
            "paths": [
                "/": ["get": [
                    "operationId": "page", "summary": "A page to try the model in a browser: pick an image, ask, see the answers and attention.",
                    "responses": ["200": ["description": "HTML", "content": ["text/html": ["schema": ["type": "string"]]]]],
                ]],
                "/v1/answer": ["post": operation(
                    "answer", summary: "Top labels with probabilities for a question about an image (classify models).",
                    request: "AnswerRequest", response: "AnswerResponse", errors: [400, 405, 413, 415, 503])],
                "/v1/match": ["post": operation(
                    "match", summary: "A match score for each text about an image (match models).",
                    request: "MatchRequest", response: "MatchResponse", errors: [400, 405, 413, 415, 503])],
                "/v1/retrieve": ["post": operation(
                    "retrieve", summary: "The indexed images that best match a text, best first (match models served with --index): "
                        + "a shortlist of \(limits.shortlist) by embedding similarity, ordered by the model's match score.",
                    request: "RetrieveRequest", response: "RetrieveResponse", errors: [400, 404, 405, 413, 415, 503])],
                "/v1/images/{id}": ["get": [
                    "operationId": "image", "summary": "An indexed image's file, by the id /v1/retrieve returned.",
                    "parameters": [["name": "id", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^[0-9]+$"]]],
                    "responses": [
                        "200": ["description": "the image file", "content": ["image/png": ["schema": ["type": "string", "format": "binary"]],
                                                                             "image/jpeg": ["schema": ["type": "string", "format": "binary"]]]],
                        "404": ["description": "no indexed image has this id", "content": ["application/json": ["schema": ref("Error")]]],
                    ],
                ]],
                "/healthz": ["get": operation("health", summary: "The model being served.", request: nil, response: "Health", errors: [405])],
                "/metrics": ["get": [
                    "operationId": "metrics", "summary": "Prometheus metrics in the text exposition format.",
                    "responses": ["200": ["description": "metrics", "content": ["text/plain": ["schema": ["type": "string"]]]]],
                ]],
                "/openapi.json": ["get": [
                    "operationId": "openapi", "summary": "This document.",
                    "responses": ["200": ["description": "OpenAPI 3.1", "content": ["application/json": ["schema": ["type": "object"]]]]],
                ]],
            ],
            "components": ["schemas": schemas(limits)],
        ]
    }

    private static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    private static func operation(_ id: String, summary: String, request: String?, response: String, errors: [Int]) -> JSONValue {
        var responses: [String: JSONValue] = ["200": ["description": "OK", "content": ["application/json": ["schema": ref(response)]]]]
        let meaning = [400: "invalid input (the error's field names it)", 405: "another method than the route's; see Allow", 413: "body over --max-body-bytes",
                       415: "neither JSON nor multipart/form-data",
                       404: "the server has no image index (start it with --index)", 503: "queue full (--max-queue) or shutting down; see Retry-After"]
        for code in errors {
            responses[String(code)] = ["description": .string(meaning[code]!), "content": ["application/json": ["schema": ref("Error")]]]
        }
        var op: [String: JSONValue] = ["operationId": .string(id), "summary": .string(summary), "responses": .object(responses)]
        if let request {
            op["requestBody"] = ["required": true, "content": [
                "application/json": ["schema": ref(request)],
                "multipart/form-data": ["schema": ref(request + "Form")],
            ]]
        }
        return .object(op)
    }

    private static func object(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
        ["type": "object", "properties": .object(properties), "required": .array(required.map(JSONValue.string)), "additionalProperties": false]
    }

    private static func schemas(_ limits: ServingLimits) -> JSONValue {
        let text: JSONValue = ["type": "string", "minLength": 1, "maxLength": .number(Double(limits.maxTextChars))]
        let image: JSONValue = ["type": "string", "contentEncoding": "base64",
                                "description": .string("PNG or JPEG bytes, base64 (a data: URL too); at most \(limits.maxImageSide) pixels a side")]
        let upload: JSONValue = ["type": "string", "format": "binary", "description": "a PNG or JPEG file"]
        let texts: JSONValue = ["type": "array", "items": text, "minItems": 1, "maxItems": .number(Double(limits.maxTexts))]
        let topK: JSONValue = ["type": "integer", "minimum": 1, "default": 5]
        let retrieveTopK: JSONValue = ["type": "integer", "minimum": 1, "maximum": .number(Double(limits.maxTopK)), "default": 10]
        let attention: JSONValue = ["type": "boolean", "default": false,
                                    "description": "also return each head's text→image attention over the region grid (cross- and co-attention models)"]
        let probabilities: JSONValue = ["type": "array", "items": ["type": "number"]]
        return [
            "AnswerRequest": object(["image": image, "text": text, "top_k": topK, "attention": attention], required: ["image", "text"]),
            "AnswerRequestForm": object(["image": upload, "text": text, "top_k": topK, "attention": attention], required: ["image", "text"]),
            "MatchRequest": object(["image": image, "texts": texts], required: ["image", "texts"]),
            "MatchRequestForm": object(["image": upload, "texts": texts], required: ["image", "texts"]),
            "RetrieveRequest": object(["text": text, "top_k": retrieveTopK], required: ["text"]),
            "RetrieveRequestForm": object(["text": text, "top_k": retrieveTopK], required: ["text"]),
            "RetrieveResponse": object([
                "results": ["type": "array", "items": object([
                    "id": ["type": "string", "description": "GET /v1/images/{id} serves the image"],
                    "image": ["type": "string", "description": "its path as the index's manifest wrote it"],
                    "score": ["type": "number", "description": "the model's match score; higher = better match"],
                ], required: ["id", "image", "score"])],
            ], required: ["results"]),
            "AnswerResponse": object([
                "answers": ["type": "array", "items": object(["label": ["type": "string"], "probability": ["type": "number"]],
                                                             required: ["label", "probability"])],
                "attention": object([
                    "grid": ["type": "array", "items": ["type": "integer"], "minItems": 2, "maxItems": 2, "description": "[rows, cols]"],
                    "heads": ["type": "array", "items": probabilities, "description": "per head, row-major over the grid; each sums to 1"],
                    "mean": probabilities,
                ], required: ["grid", "heads", "mean"]),
            ], required: ["answers"]),
            "MatchResponse": object([
                "matches": ["type": "array", "items": object([
                    "text": ["type": "string"], "score": ["type": "number", "description": "higher = better match"],
                    "probability": ["type": ["number", "null"], "description": "P(match); null for the dual encoder"],
                ], required: ["text", "score", "probability"])],
            ], required: ["matches"]),
            "Health": object([
                "status": ["type": "string"], "model": ["type": "string", "description": "the bundle's directory name"], "task": ["enum": ["classify", "match"]], "fusion": ["type": "string"],
                "image_encoder": ["type": "string"], "text_encoder": ["type": "string"], "labels": ["type": "integer"],
                "grid": ["type": "array", "items": ["type": "integer"]], "index": ["type": "integer", "description": "images /v1/retrieve searches (0: none)"],
            ], required: ["status", "model", "task", "fusion", "image_encoder", "text_encoder", "labels", "grid", "index"]),
            "Error": object(["error": object([
                "code": ["type": "string"], "message": ["type": "string"], "field": ["type": ["string", "null"]],
            ], required: ["code", "message", "field"])], required: ["error"]),
        ]
    }
}
