import Encoders

/// The pretrained encoders a fine-tuned `ImageTextModel` trains through, from the model cache.
public enum PretrainedEncoders {
    /// ImageNet EfficientNet-Lite0.
    public static func efficientNet() throws -> EfficientNetLite0 { try EfficientNetLite0.pretrained() }

    /// all-MiniLM-L6-v2's BERT.
    public static func bert() throws -> BertModel { try SentenceEncoder.miniLM().model }
}
