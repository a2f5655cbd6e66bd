"""Employee promotion activities (员工推广): posters with exclusive codes or links, attributed results, rewards."""
