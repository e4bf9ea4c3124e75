from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from enrollment.filters import EnrollmentFilter
from enrollment.selectors import enrollments_for, workers_for


@login_required
def worker_list(request):
    page = Paginator(workers_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "enrollment/worker_list.html", {"page": page})


@login_required
def worker_detail(request, pk):
    worker = get_object_or_404(workers_for(request.user), pk=pk)
    enrollments = enrollments_for(request.user).filter(worker=worker)
    return render(request, "enrollment/worker_detail.html", {"worker": worker, "enrollments": enrollments})


@login_required
def enrollment_list(request):
    # The filters narrow the user's scope; they never widen it (the base queryset is scoped).
    filtered = EnrollmentFilter(request.GET, queryset=enrollments_for(request.user), request=request)
    page = Paginator(filtered.qs, 50).get_page(request.GET.get("page"))
    return render(request, "enrollment/enrollment_list.html", {"page": page, "filter": filtered})
