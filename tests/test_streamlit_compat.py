"""What the app changes in Streamlit is installed from one module, which names a version it was not written for."""


def test_a_different_streamlit_version_is_named_at_start_up():
    from ui import streamlit_compat

    assert streamlit_compat.version_problems(streamlit_compat.WRITTEN_FOR) == []
    problem = streamlit_compat.version_problems("9.9.9")[0]
    assert "9.9.9" in problem and f"streamlit=={streamlit_compat.WRITTEN_FOR}" in problem
    import streamlit

    assert streamlit.__version__ == streamlit_compat.WRITTEN_FOR  # requirements.txt pins the one it was written for
