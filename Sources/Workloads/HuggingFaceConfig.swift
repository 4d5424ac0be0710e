import KernelModel
import TunebenchCore

/// The GEMMs of a Hugging Face transformer from its `config.json`, per token count: the
/// attention projections, the MLP (or the experts) and the LM head. Decoders of the Llama
/// lineage (HuggingFaceDecoder: Llama, Mistral, Qwen2/3, OLMo 2, Gemma 1–3, Phi-3, StarCoder2,
/// Mixtral, Qwen2/3-MoE, DeepSeek-V2/V3, Llama 4, GPT-OSS), GPT-2, GPT-NeoX and BERT-style encoders; a
/// multimodal config's text model (its "text_config"). Attention's own batched products (Q·Kᵀ, P·V) depend on the
/// sequence length and are listed as not imported.
public enum HuggingFaceConfig {
    public static let supported = HuggingFaceDecoder.families + ["gpt2", "gpt_neox", "bert", "roberta", "xlm-roberta"] + languageModelOf.keys.sorted()

    /// Vision-language models whose language model is a listed family, with its fields at the
    /// top level of the config (or in a text_config of that type): Qwen2-VL and Qwen2.5-VL run a
    /// Qwen2 decoder.
    static let languageModelOf = ["qwen2_vl": "qwen2", "qwen2_5_vl": "qwen2", "qwen2_vl_text": "qwen2", "qwen2_5_vl_text": "qwen2"]

    /// The defaults of text models that vision-language configs nest with only the fields that
    /// differ (Gemma3TextConfig, transformers' configuration_gemma3.py).
    static let textConfigDefaults: [String: [String: Int]] = [
        "gemma3_text": ["hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26, "num_attention_heads": 8,
                        "num_key_value_heads": 4, "head_dim": 256, "vocab_size": 262_208],
        // Llama4TextConfig (configuration_llama4.py).
        "llama4_text": ["hidden_size": 5120, "intermediate_size": 8192, "intermediate_size_mlp": 16384, "num_local_experts": 16,
                        "num_experts_per_tok": 1, "interleave_moe_layer_step": 1, "num_hidden_layers": 48, "num_attention_heads": 40,
                        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 202_048],
    ]

    public static func load(path: String, tokens: [Int]) throws -> Workload {
        guard !tokens.isEmpty, tokens.allSatisfy({ $0 > 0 }) else {
            throw FileError(path: path, message: "give at least one positive token count")
        }
        var fields = try JSONFields.load(path: path)
        var type = try fields.string("model_type")
        var wrapper: String?
        // A vision-language model (Gemma 3, Mistral 3, LLaVA, …) nests its language model's
        // config under "text_config": that is the part made of these GEMMs.
        if !supported.contains(type), let text = try fields.optionalObject("text_config") {
            guard let textType = try text.optionalString("model_type") else {
                throw FileError(path: path, message: "model_type \"\(type)\" is not supported, and its \"text_config\" names no model_type (supported: \(supported.joined(separator: ", ")))")
            }
            (wrapper, fields, type) = (type, text, textType)
        }
        var defaultsTaken: [String] = []
        if wrapper != nil, let defaults = textConfigDefaults[type] {
            // A composite config saves its text_config as a diff against the text model's
            // defaults (transformers' to_diff_dict): what it omits is that default.
            defaultsTaken = defaults.keys.sorted().filter { !fields.has($0) }
            fields = fields.filling(defaults.mapValues { .number(Double($0)) })
        }
        var workload: Workload
        if let language = languageModelOf[type] {
            if wrapper == nil, !type.hasSuffix("_text") { wrapper = type }
            type = language
        }
        switch type {
        case _ where HuggingFaceDecoder.families.contains(type): workload = try HuggingFaceDecoder(fields, type: type).workload(tokens: tokens, source: path)
        case "gpt2": workload = try gpt2(fields, tokens: tokens)
        case "gpt_neox": workload = try gptNeoX(fields, tokens: tokens)
        case "bert", "roberta", "xlm-roberta": workload = try bert(fields, type: type, tokens: tokens)
        default:
            let what = wrapper.map { "the text_config of model_type \"\($0)\" is model_type \"\(type)\", which" } ?? "model_type \"\(type)\""
            throw FileError(path: path, message: "\(what) is not supported (supported: \(supported.joined(separator: ", ")))")
        }
        if !defaultsTaken.isEmpty {
            let values = defaultsTaken.map { "\($0)=\(textConfigDefaults[type]![$0]!)" }.joined(separator: ", ")
            workload.notes.append("text_config omits fields at \(type)'s defaults (transformers' configuration file): \(values)")
        }
        if let wrapper {
            workload.name = "\(wrapper) (text model: \(workload.name))"
            workload.unsupported.append("the vision encoder and projector of \(wrapper): only its language model is imported")
        }
        workload.notes.append("no checkpoint: weights are random at the layer's scale (1/sqrt(in_features)); accuracy figures use them")
        workload.unsupported.append("attention scores and weighted sum (Q·Kᵀ, softmax, P·V): batched products over the sequence, not imported")
        return workload
    }

    /// GPT-2: fused qkv (c_attn), c_proj, c_fc + GELU, c_proj, all with bias; LM head.
    static func gpt2(_ fields: JSONFields, tokens: [Int]) throws -> Workload {
        let context = " (model_type gpt2)"
        let hidden = try fields.positiveInt("n_embd", context: context)
        return fusedAttention(
            type: "gpt2", size: "n_embd=\(hidden) n_layer", hidden: hidden, inner: try fields.optionalPositiveInt("n_inner") ?? 4 * hidden,
            layers: try fields.positiveInt("n_layer", context: context), vocabulary: try fields.positiveInt("vocab_size", context: context),
            activation: try fields.optionalString("activation_function") ?? "gelu_new", attentionBias: true, tokens: tokens, source: fields.path,
            names: (layer: "h", qkv: "attn.c_attn", out: "attn.c_proj", up: "mlp.c_fc", down: "mlp.c_proj", head: "lm_head"))
    }

    /// GPT-NeoX (Pythia): fused query_key_value and dense (biases with attention_bias, default
    /// true), dense_h_to_4h + activation and dense_4h_to_h (biases), the untied embed_out head.
    static func gptNeoX(_ fields: JSONFields, tokens: [Int]) throws -> Workload {
        let context = " (model_type gpt_neox)"
        let hidden = try fields.positiveInt("hidden_size", context: context)
        return fusedAttention(
            type: "gpt_neox", size: "hidden=\(hidden) layers", hidden: hidden, inner: try fields.positiveInt("intermediate_size", context: context),
            layers: try fields.positiveInt("num_hidden_layers", context: context), vocabulary: try fields.positiveInt("vocab_size", context: context),
            activation: try fields.optionalString("hidden_act") ?? "gelu", attentionBias: try fields.optionalBool("attention_bias") ?? true,
            tokens: tokens, source: fields.path,
            names: (layer: "layers", qkv: "attention.query_key_value", out: "attention.dense", up: "mlp.dense_h_to_4h",
                    down: "mlp.dense_4h_to_h", head: "embed_out"))
    }

    /// The shape GPT-2 and GPT-NeoX share: a fused qkv projection (hidden → 3·hidden) and the
    /// attention output (biases when `attentionBias`), an MLP up (+ its activation, fused where
    /// the kernels have it) and down with biases, and the LM head. `size` names the model,
    /// e.g. "n_embd=768 n_layer" (the layer count follows).
    private static func fusedAttention(type: String, size: String, hidden: Int, inner: Int, layers: Int, vocabulary: Int, activation: String,
                                       attentionBias: Bool, tokens: [Int], source: String,
                                       names: (layer: String, qkv: String, out: String, up: String, down: String, head: String)) -> Workload {
        let fused = fusedActivation(activation)
        var instances: [Workload.Instance] = []
        for t in tokens {
            let suffix = " (tokens=\(t))"
            let all = "\(names.layer).0-\(layers - 1)"
            instances += [
                .init(name: "\(all).\(names.qkv)\(suffix)", layer: .gemm(m: t, n: 3 * hidden, k: hidden, epilogue: Epilogue(bias: attentionBias)), count: layers),
                .init(name: "\(all).\(names.out)\(suffix)", layer: .gemm(m: t, n: hidden, k: hidden, epilogue: Epilogue(bias: attentionBias)), count: layers),
                .init(name: "\(all).\(names.up)\(suffix)", layer: .gemm(m: t, n: inner, k: hidden, epilogue: Epilogue(bias: true, activation: fused ?? .none)), count: layers),
                .init(name: "\(all).\(names.down)\(suffix)", layer: .gemm(m: t, n: hidden, k: inner, epilogue: Epilogue(bias: true)), count: layers),
                .init(name: "\(names.head)\(suffix)", layer: .gemm(m: t, n: vocabulary, k: hidden)),
            ]
        }
        let up = names.up.split(separator: ".").last.map(String.init) ?? names.up
        return Workload(name: "\(type) \(size)=\(layers)", source: source, instances: instances,
                        unsupported: fused != nil ? [] : ["mlp activation \(activation): not an activation the kernels fuse (relu, gelu in the tanh or erf form); runs after \(up)"])
    }

    /// The epilogue activation of a Hugging Face activation name (transformers' ACT2FN), nil
    /// when the kernels have none for it: "gelu" is the exact erf form, "gelu_new" and its
    /// aliases the tanh form.
    static func fusedActivation(_ name: String) -> Epilogue.Activation? {
        switch name {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": .gelu
        case "gelu": .geluErf
        case "relu": .relu
        case "relu6": .relu6
        default: nil
        }
    }

    /// BERT encoder (RoBERTa and XLM-R have the same layers): q/k/v, attention output,
    /// intermediate (+GELU), output; no LM head.
    static func bert(_ fields: JSONFields, type: String, tokens: [Int]) throws -> Workload {
        let context = " (model_type \(type))"
        let hidden = try fields.positiveInt("hidden_size", context: context)
        let intermediate = try fields.positiveInt("intermediate_size", context: context)
        let layers = try fields.positiveInt("num_hidden_layers", context: context)
        let activation = (try fields.optionalString("hidden_act")) ?? "gelu"
        let fused = fusedActivation(activation)
        var instances: [Workload.Instance] = []
        for t in tokens {
            let suffix = " (tokens=\(t))"
            let all = "encoder.layer.0-\(layers - 1)"
            for part in ["query", "key", "value"] {
                instances.append(.init(name: "\(all).attention.self.\(part)\(suffix)", layer: .gemm(m: t, n: hidden, k: hidden, epilogue: Epilogue(bias: true)), count: layers))
            }
            instances += [
                .init(name: "\(all).attention.output.dense\(suffix)", layer: .gemm(m: t, n: hidden, k: hidden, epilogue: Epilogue(bias: true)), count: layers),
                .init(name: "\(all).intermediate.dense\(suffix)", layer: .gemm(m: t, n: intermediate, k: hidden, epilogue: Epilogue(bias: true, activation: fused ?? .none)), count: layers),
                .init(name: "\(all).output.dense\(suffix)", layer: .gemm(m: t, n: hidden, k: intermediate, epilogue: Epilogue(bias: true)), count: layers),
            ]
        }
        var unsupported = ["encoder only: no LM head (a masked-LM head is not part of BertModel)"]
        if fused == nil { unsupported.append("intermediate activation \(activation): not an activation the kernels fuse (relu, gelu in the tanh or erf form); runs after the GEMM") }
        return Workload(name: "\(type) hidden=\(hidden) layers=\(layers)", source: fields.path, instances: instances, unsupported: unsupported)
    }
}
