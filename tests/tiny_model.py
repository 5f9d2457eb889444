"""A tiny randomly initialised Llama with a real byte-level BPE tokenizer, saved as a HF directory.

It generates nonsense, fast: enough to drive the real generation path (chat template, batching,
left padding, decoding) end to end in the default test run.
"""

from __future__ import annotations

from pathlib import Path

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def make_tiny_model(path: Path, *, hidden_size: int = 32, num_attention_heads: int = 4) -> Path:
    """Write the tiny model and tokenizer into `path`; return it. vLLM's CPU attention needs a head size
    of at least 32 (`hidden_size / num_attention_heads`; the default's is 8)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    corpus = ['<tool_call> {"name": "get_weather", "arguments": {"city": "Paris"}} </tool_call>', "hello world"] * 20
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=fast.vocab_size if hasattr(fast, "vocab_size") else len(fast),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=num_attention_heads,
        num_key_value_heads=num_attention_heads // 2,
        max_position_embeddings=4096,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        bos_token_id=fast.eos_token_id,
    )
    config.vocab_size = len(fast)
    model = LlamaForCausalLM(config)
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path


def tiny_overrides(model_dir: Path, out_dir: Path) -> list[str]:
    """Overrides that make the default config run end to end on the tiny model in seconds."""
    return [
        f"model.name_or_path={model_dir}",
        "model.autocast=off",
        f"judge.model={model_dir}",
        "rollout.engine=hf",
        "rollout.prompts_per_step=2",
        "rollout.group_size=2",
        "rollout.loop.max_turns=2",
        "rollout.loop.max_new_tokens=12",
        "rollout.loop.max_total_tokens=1024",
        # the tiny tokenizer spends more tokens per prompt than SmolLM2's (default limit: 640)
        "data.max_prompt_tokens=1012",
        "trainer.minibatch_size=2",
        "trainer.micro_batch_size=1",
        "trainer.lr=1e-3",
        "warmup.steps=1",
        "warmup.batch_size=2",
        "warmup.max_length=1024",
        "data.eval_size=2",
        "data.builtin.per_family=3",
        "eval.max_new_tokens=8",
        "output.tensorboard=false",
        f"output.dir={out_dir}",
    ]
