"""The exception module: messages and the built-in classes callers catch."""

import pytest

from stacktach_ng import exception
from stacktach_ng.queries import usage


def test_marker_not_found_names_the_marker():
    error = exception.MarkerNotFound(marker='abc')
    assert isinstance(error, exception.StacktachException)
    assert isinstance(error, LookupError)
    assert error.marker == 'abc'
    assert str(error) == "marker 'abc' names no item of this list"


def test_invalid_parameter_is_a_value_error_with_its_message():
    error = exception.InvalidParameter('bucket must be positive')
    assert isinstance(error, ValueError)
    assert str(error) == 'bucket must be positive'
    assert str(exception.InvalidParameter(name='limit', problem='too big')) \
        == 'limit: too big'


@pytest.mark.parametrize('marker', ['abc', '0', '-3'])
def test_a_usage_marker_that_is_not_an_id_is_not_found(marker):
    with pytest.raises(exception.MarkerNotFound):
        usage._marker(marker)
